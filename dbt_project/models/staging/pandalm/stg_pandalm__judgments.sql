-- PandaLM pairs with their three human labels, and the same pairs judged by
-- gpt-3.5-turbo and PandaLM-7B (annotator_type tells the two apart).
select
    {{ candidate_columns() }},
    try_cast(json_extract(metadata, '$.idx') as integer) as pair_idx,
    json_extract_string(metadata, '$.cmp_key') as cmp_key,
    json_extract_string(metadata, '$.generator_1') as generator_1,
    json_extract_string(metadata, '$.generator_2') as generator_2,
    json_extract_string(metadata, '$.motivation_app') as motivation_app,
    json_extract_string(metadata, '$.preferred_response') as preferred_response
from {{ source('lake', 'parsed_records') }}
where parser like 'pandalm.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
