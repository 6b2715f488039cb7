{#- Every candidate from every family, with its registry context, after the set-level
    rules. A parser rejects records it cannot read; the rules here need the whole set
    or the registry, and run in order: the first reason found is kept. -#}
{%- set staging_models = [
    'stg_hh_rlhf__pairs',
    'stg_alpaca_eval__judgments',
    'stg_pandalm__judgments',
    'stg_finegrained_rlhf__comparisons',
    'stg_prometheus__judgments',
    'stg_self_instruct__tasks',
    'stg_gsm8k__solutions',
    'stg_gpteacher__instructions',
    'stg_arena_hard__prompts',
    'stg_data_provenance__records',
] -%}

with candidates as (
    {% for model in staging_models %}
    select {{ candidate_columns() }} from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

raw as (
    select source_id, file, record_index, md5(payload) as payload_md5
    from {{ source('lake', 'raw_records') }}
    where {{ in_partitions() }}
),

registry as (
    select source_id, role, license_spdx, license_terms
    from {{ source('lake', 'registry_sources') }}
),

licenses as (
    select spdx from {{ source('lake', 'registry_licenses') }}
),

enriched as (
    select
        c.*,
        registry.role,
        coalesce(c.license, registry.license_spdx) as license_id,
        registry.license_terms,
        licenses.spdx is not null as license_known,
        -- an exact copy of an earlier record in the same file
        min(c.record_index) over (
            partition by c.source_id, c.file, raw.payload_md5, c.sub_index
        ) as first_copy_index
    from candidates as c
    inner join registry using (source_id)
    left join licenses on licenses.spdx = coalesce(c.license, registry.license_spdx)
    left join raw using (source_id, file, record_index)
)

select
    * exclude (reason_code, reason_message, reason_field, license, license_known, first_copy_index, license_id),
    license_id as license,
    case
        when reason_code is not null then reason_code
        when first_copy_index < record_index then 'duplicate_record'
        when not license_known then 'unknown_license'
    end as reason_code,
    case
        when reason_code is not null then reason_message
        when first_copy_index < record_index
            then 'identical to record ' || first_copy_index || ' of the same file'
        when not license_known
            then 'license ' || coalesce(license_id, 'null') || ' is not declared in the registry''s licenses'
    end as reason_message,
    case
        when reason_code is not null then reason_field
        when first_copy_index >= record_index and not license_known then 'license'
    end as reason_field
from enriched
order by source_id, file, record_index, sub_index
