{#- Reading and writing the lake. Values that change per run (the partitions, the output
    folder) are read only while executing, never while parsing, so dbt's partial parsing
    survives from one run to the next. -#}

{% macro in_partitions(column='source_id') -%}
  {%- if execute -%}
    {%- set keys = env_var('PREFINERY_PARTITIONS', '') -%}
    {%- if keys == '' -%}
      {{ exceptions.raise_compiler_error("PREFINERY_PARTITIONS is not set: run the models through Dagster, or set it to a comma-separated list of source ids") }}
    {%- endif -%}
    {{ column }} in ({% for key in keys.split(',') %}'{{ key | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
  {%- else -%}
    true
  {%- endif -%}
{%- endmacro %}

{% macro lake_scan(table) -%}
  read_parquet('{{ env_var("PREFINERY_LAKE") }}/{{ table }}/**/part-0.parquet', union_by_name = true)
{%- endmacro %}

{#- dbt-duckdb writes each external model here; Dagster commits it into the lake. -#}
{% macro external_location(relation, config) -%}
  {{ env_var('DBT_TARGET_PATH', 'target') }}/external/{{ relation.identifier }}.parquet
{%- endmacro %}

{#- A model this invocation does not build still has to be readable by the ones it does:
    point a view at its committed lake files. -#}
{% macro bootstrap_lake_views() %}
  {% if execute %}
    {% for node in graph.nodes.values()
         if node.resource_type == 'model'
         and node.config.materialized == 'external'
         and node.unique_id not in selected_resources %}
      {% set pattern = env_var("PREFINERY_LAKE") ~ "/" ~ node.name ~ "/*/part-0.parquet" %}
      {% set found = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] %}
      {% if found > 0 %}
        {% do run_query("create or replace view " ~ node.schema ~ "." ~ node.alias ~ " as select * from read_parquet('" ~ pattern ~ "', union_by_name = true)") %}
      {% endif %}
    {% endfor %}
  {% endif %}
{% endmacro %}

{#- The columns every staging model passes on unchanged (ingest.PARSED_SCHEMA). -#}
{% macro candidate_columns() -%}
  source_id, file, record_index, sub_index, locator, parser, example_id, content_hash, kind,
  messages, prompt, chosen, rejected, response, label, label_raw, is_tie, label_strength,
  agreement, num_annotators, annotator_type, annotator, license, metadata,
  reason_code, reason_message, reason_field
{%- endmacro %}
