-- Every candidate that could not be used, with its reason and the raw record as found.
select
    c.example_id,
    c.source_id,
    c.file,
    c.record_index,
    c.sub_index,
    c.locator,
    c.parser,
    c.reason_code,
    c.reason_message,
    c.reason_field,
    raw.payload as raw_payload
from {{ ref('int_candidates') }} as c
left join {{ source('lake', 'raw_records') }} as raw
    on raw.source_id = c.source_id
    and raw.file = c.file
    and raw.record_index = c.record_index
    and {{ in_partitions('raw.source_id') }}
where c.reason_code is not null
order by c.source_id, c.file, c.record_index, c.sub_index
