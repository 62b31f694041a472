"""Template filters for the page chrome that must read right in both languages.

`join_list` joins items with the Chinese list mark 、 in Chinese and with ", " in
English (a 、 typed into a template would show in the English pages). `labelled` gives a
form field without a visible label (a cell of a tabular formset, whose column heading
says what it is) an accessible name: its own label, as aria-label.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from common.lists import list_separator

register = template.Library()


@register.filter(name="join_list", is_safe=True, needs_autoescape=True)
def join_list_filter(items, autoescape=True):
    """{{ names|join_list }}: each item escaped, joined with 、 (Chinese) or ", " (English)."""
    escape = conditional_escape if autoescape else str
    return mark_safe(list_separator().join(str(escape(item)) for item in items))


@register.filter
def labelled(bound_field):
    """{{ form.field|labelled }}: the widget with aria-label set to the field's label."""
    return bound_field.as_widget(attrs={"aria-label": str(bound_field.label)})


@register.simple_tag
def list_mark():
    """{% list_mark %} between the items of a {% for %} loop: 、 in Chinese, ", " in English."""
    return list_separator()
