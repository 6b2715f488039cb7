-- GSM8K worked solutions (SFT) and four OpenAI models' test-set solutions graded for
-- correctness (ratings); final answers as written, and as numbers.
select
    {{ candidate_columns() }},
    json_extract_string(metadata, '$.final_answer') as final_answer,
    try_cast(replace(json_extract_string(metadata, '$.final_answer'), ',', '') as double) as final_answer_value,
    json_extract_string(metadata, '$.reference_answer') as reference_answer,
    json_extract_string(metadata, '$.model') as solver_model
from {{ source('lake', 'parsed_records') }}
where parser like 'gsm8k.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
