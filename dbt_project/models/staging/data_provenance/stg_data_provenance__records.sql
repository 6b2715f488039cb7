-- Data Provenance Collection license metadata: taxonomy constants (license classes,
-- paraphrases, groups) and per-dataset license records, typed where a policy reads them.
with records as (
    select
        {{ candidate_columns() }},
        json_extract_string(metadata, '$.record_type') as record_type,
        json_extract_string(metadata, '$.key') as record_key,
        json_extract(metadata, '$.value') as record_value
    from {{ source('lake', 'parsed_records') }}
    where parser like 'data_provenance.%' and {{ in_partitions() }}
),

license_classes as (
    -- [use, attribution, share_alike], by license name or by URL for "Custom" licenses
    select
        example_id,
        json_extract_string(record_value, '$[0]') as license_use,
        json_extract_string(record_value, '$[1]') as attribution_flag,
        json_extract_string(record_value, '$[2]') as share_alike_flag
    from records
    where record_type in ('license_classes', 'custom_license_classes')
),

dataset_summaries as (
    select
        example_id,
        json_extract_string(record_value, '$.Collection') as collection,
        json_extract_string(record_value, '$."Dataset Name"') as dataset_name,
        json_extract_string(record_value, '$.Licenses[*].License') as license_names,
        json_extract_string(record_value, '$."Model Generated"[*]') as model_generators
    from records
    where record_type = 'dataset_summary'
)

select
    records.*,
    license_classes.* exclude (example_id),
    dataset_summaries.* exclude (example_id)
from records
left join license_classes using (example_id)
left join dataset_summaries using (example_id)
order by source_id, file, record_index, sub_index
