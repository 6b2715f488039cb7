-- Self-Instruct: expert-written task instances (seed and user-oriented tasks) and eight
-- GPT-3 models' unrated responses to the user-oriented tasks.
select
    {{ candidate_columns() }},
    json_extract_string(metadata, '$.task_id') as task_id,
    json_extract_string(metadata, '$.task_name') as task_name,
    json_extract_string(metadata, '$.motivation_app') as motivation_app,
    try_cast(json_extract(metadata, '$.is_classification') as boolean) as is_classification,
    json_extract_string(metadata, '$.generator') as generator,
    try_cast(json_extract(metadata, '$.has_target') as boolean) as has_target
from {{ source('lake', 'parsed_records') }}
where parser like 'self_instruct.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
