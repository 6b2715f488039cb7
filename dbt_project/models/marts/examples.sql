-- The canonical examples: every usable row of every source, one per example_id.
-- Scores, selections and training all key on example_id; dedup and agreement on content_hash.
select
    example_id,
    content_hash,
    source_id,
    file,
    record_index,
    sub_index,
    locator,
    kind,
    role,
    messages,
    prompt,
    chosen,
    rejected,
    response,
    label,
    label_raw,
    is_tie,
    label_strength,
    agreement,
    num_annotators,
    annotator_type,
    annotator,
    license,
    license_terms,
    metadata,
    parser
from {{ ref('int_candidates') }}
where reason_code is null and kind <> 'license_metadata'
order by source_id, file, record_index, sub_index
