{#- Every score of every example, one row per example_id: the table selection recipes
    filter and rank on. Scores stay in their own tables; this is a join, never a copy
    into examples. A new scorer adds its table to the list below and a source in
    models/sources.yml. -#}
{%- set python_score_tables = ['scores_pii'] -%}

with examples as (
    select example_id, source_id, kind, role from {{ ref('examples') }} where {{ in_partitions() }}
)

select
    examples.*,
    heuristics.* exclude (example_id, source_id)
    {%- for table in python_score_tables %},
    {{ table }}.* exclude (example_id, source_id)
    {%- endfor %}
from examples
left join {{ ref('scores_heuristics') }} as heuristics using (example_id)
{%- for table in python_score_tables %}
left join (
    select * from {{ source('lake', table) }} where {{ in_partitions() }}
) as {{ table }} using (example_id)
{%- endfor %}
order by examples.source_id, examples.example_id
