-- FineGrainedRLHF qa-feedback: six pairwise human comparisons of four answers per question.
select
    {{ candidate_columns() }},
    json_extract_string(metadata, '$.pair') as comparison_pair,
    json_extract_string(metadata, '$.preferred_prediction') as preferred_prediction,
    try_cast(json_extract(metadata, '$.num_passages') as integer) as num_passages,
    try_cast(json_extract(metadata, '$.prediction_1_errors_total') as integer) as prediction_1_errors_total,
    json_extract(metadata, '$.prediction_1_errors') as prediction_1_errors
from {{ source('lake', 'parsed_records') }}
where parser like 'finegrained_rlhf.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
