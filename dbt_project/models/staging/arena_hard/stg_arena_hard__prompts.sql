-- Arena-Hard-Auto: evaluation prompts (v0.1, v2.0) and OpenAI models' answers to v0.1.
select
    {{ candidate_columns() }},
    json_extract_string(metadata, '$.version') as benchmark_version,
    json_extract_string(metadata, '$.uid') as question_uid,
    json_extract_string(metadata, '$.category') as category,
    json_extract_string(metadata, '$.cluster') as cluster,
    json_extract_string(metadata, '$.subcategory') as subcategory,
    json_extract_string(metadata, '$.ans_id') as answer_id,
    json_extract_string(metadata, '$.generator') as generator,
    to_timestamp(try_cast(json_extract(metadata, '$.tstamp') as double)) as answered_at
from {{ source('lake', 'parsed_records') }}
where parser like 'arena_hard.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
