{#- Text heuristics as SQL expressions over a text column. -#}

{% macro distinct_trigram_ratio(words) -%}
  case when len({{ words }}) >= 3 then
    len(list_distinct(list_transform(range(1, len({{ words }}) - 1),
      lambda i: {{ words }}[i] || ' ' || {{ words }}[i + 1] || ' ' || {{ words }}[i + 2])))::double
    / (len({{ words }}) - 2)
  end
{%- endmacro %}

{% macro non_alpha_fraction(text) -%}
  length(regexp_replace({{ text }}, '[[:alpha:][:space:]]', '', 'g'))::double
  / nullif(length(regexp_replace({{ text }}, '[[:space:]]', '', 'g')), 0)
{%- endmacro %}

{#- A response that stops mid-sentence rarely ends in terminal punctuation, a closing
    bracket or quote, a code fence, or a number (as GSM8K's "#### 72" does). -#}
{% macro looks_truncated(text) -%}
  coalesce(length(trim({{ text }})) > 0
    and not regexp_matches(rtrim({{ text }}), '[.!?。！？…"”’''\)\]}>`*:;0-9]$'), false)
{%- endmacro %}

{#- Refusal boilerplate; curly apostrophes (HH-RLHF uses them) count as straight ones. -#}
{% macro is_refusal(text) -%}
  coalesce(regexp_matches(replace(lower({{ text }}), '’', ''''),
    '(\bi''m sorry\b|\bi am sorry\b|^sorry\b|\bsorry, (but )?i\b|\bi apologi[sz]e\b|\bas an ai\b'
    || '|\bi can(not|''t|t) (help|assist|provide|comply|do that|answer|support|recommend)\b'
    || '|\bi''m (not able|unable|not comfortable|not going) to\b|\bi am (not able|unable) to\b'
    || '|\bi won''t (be able to|help)\b|\bi (don''t|do not) think i (can|should)\b)'),
  false)
{%- endmacro %}
