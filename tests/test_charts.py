"""Server-drawn SVG charts: accessible, escaped, with the numbers as a table too."""

import re

from weizhi.core import charts


def test_a_bar_chart_has_one_bar_per_label_and_a_table_of_the_numbers():
    html = charts.bar("满意度", ["满意", "一般", "不满意"], [6, 3, 1])
    assert html.count('class="chart-bar"') == 3
    assert 'role="img"' in html and "<title" in html and "满意：6" in html
    assert "<td>6</td><td>60.0%</td>" in html and "<td>1</td><td>10.0%</td>" in html


def test_labels_are_escaped_everywhere():
    html = charts.bar("<b>题</b>", ["<script>alert(1)</script>"], [1])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


def test_bars_are_as_long_as_their_values():
    html = charts.bar("t", ["a", "b"], [10, 5])
    widths = [float(w) for w in re.findall(r'class="chart-bar"[^>]*width="([\d.]+)"', html)]
    assert widths[0] == 2 * widths[1]


def test_a_pie_has_a_slice_per_nonzero_value_and_a_full_circle_for_one():
    assert charts.pie("t", ["a", "b", "c"], [1, 0, 3]).count('class="chart-slice"') == 2
    whole = charts.pie("t", ["a", "b"], [0, 4])
    assert whole.count("<circle") == 1 and "100.0%" in whole
    assert "暂无数据" in charts.pie("t", ["a"], [0])


def test_a_stacked_bar_splits_each_row_into_shares():
    html = charts.stacked_bar("矩阵", ["食堂", "宿舍"], ["好", "差"], [[3, 1], [0, 0]])
    assert html.count('class="chart-bar"') == 2  # an empty row draws nothing
    assert '<th scope="row">食堂</th><td>3</td><td>1</td>' in html
    assert "食堂：好 3，差 1" in html


def test_each_chart_gets_its_own_ids():
    a, b = charts.bar("t", ["a"], [1]), charts.bar("t", ["a"], [1])
    ids = re.findall(r'id="(chart-t\d+)"', a + b)
    assert len(set(ids)) == 2
