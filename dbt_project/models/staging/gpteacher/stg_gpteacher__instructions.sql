-- GPTeacher: GPT-4-generated Alpaca-style instructions and responses, by subset.
select
    {{ candidate_columns() }},
    json_extract_string(metadata, '$.subset') as subset,
    json_extract_string(metadata, '$.generator') as generator,
    try_cast(json_extract(metadata, '$.has_example_input') as boolean) as has_example_input,
    json_extract_string(metadata, '$.example_input') as example_input
from {{ source('lake', 'parsed_records') }}
where parser like 'gpteacher.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
