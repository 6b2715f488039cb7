-- AlpacaEval LLM-judge comparisons of a model's output against the fixed baseline.
select
    {{ candidate_columns() }},
    json_extract_string(metadata, '$.generator_1') as baseline_generator,
    json_extract_string(metadata, '$.generator_2') as evaluated_generator,
    json_extract_string(metadata, '$.subset') as instruction_subset,
    json_extract_string(metadata, '$.preferred_output') as preferred_output
from {{ source('lake', 'parsed_records') }}
where parser like 'alpaca_eval.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
