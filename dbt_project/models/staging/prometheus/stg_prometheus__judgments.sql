-- Prometheus evaluator benchmarks, parsed out of the grading template: BIG-bench HHH
-- chosen/rejected pairs, and GPT-4 1-5 ratings (three each) on MT-Bench and Vicuna-Bench.
select
    {{ candidate_columns() }},
    json_extract_string(metadata, '$.benchmark') as benchmark,
    json_extract_string(metadata, '$.subset') as hhh_subset,
    json_extract_string(metadata, '$.category') as category,
    json_extract_string(metadata, '$.response_source') as response_source,
    try_cast(json_extract(metadata, '$.idx') as integer) as question_idx,
    try_cast(json_extract(metadata, '$.turns') as integer) as user_turns,
    try_cast(json_extract(metadata, '$.scale[0]') as integer) as scale_min,
    try_cast(json_extract(metadata, '$.scale[1]') as integer) as scale_max
from {{ source('lake', 'parsed_records') }}
where parser like 'prometheus.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
