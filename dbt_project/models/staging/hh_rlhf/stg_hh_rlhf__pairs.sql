-- Anthropic HH-RLHF pairs split into prompt, chosen and rejected turns.
select
    {{ candidate_columns() }},
    try_cast(json_extract(metadata, '$.turns') as integer) as dialogue_turns
from {{ source('lake', 'parsed_records') }}
where parser like 'hh_rlhf.%' and {{ in_partitions() }}
order by source_id, file, record_index, sub_index
