-- License-metadata records (Data Provenance taxonomy), kept apart from training examples.
select
    example_id,
    content_hash,
    source_id,
    file,
    record_index,
    locator,
    json_extract_string(metadata, '$.record_type') as record_type,
    json_extract_string(metadata, '$.key') as record_key,
    json_extract(metadata, '$.value') as record_value,
    license,
    parser
from {{ ref('int_candidates') }}
where reason_code is null and kind = 'license_metadata'
order by source_id, file, record_index, sub_index
