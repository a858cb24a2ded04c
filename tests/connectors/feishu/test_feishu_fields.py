from __future__ import annotations

from connectors.feishu.fields import attachments, content_hash, event_value, join_text, to_number, to_text


def test_plain_string_and_numbers() -> None:
    assert to_text("会议纪要") == "会议纪要"
    assert to_text(3) == "3"
    assert to_text(1.5) == "1.5"
    assert to_text(None) == ""
    assert to_text(True) == ""


def test_rich_text_segments_run_together_with_mentions_and_links() -> None:
    cell = [
        {"type": "text", "text": "Launch moves to Tuesday. "},
        {"type": "mention", "mentionType": "User", "text": "@Alice", "token": "ou_1", "name": "Alice"},
        {"type": "text", "text": " owns "},
        {"type": "url", "text": "the checklist", "link": "https://example.com/x"},
        {"type": "mention", "mentionType": "User", "text": "", "name": "Bob"},
        {"type": "url", "text": "", "link": "https://example.com/y"},
    ]
    assert to_text(cell) == "Launch moves to Tuesday. @Alice owns the checklist@Bobhttps://example.com/y"


def test_lookup_formula_select_and_url_shapes() -> None:
    assert to_text({"type": 1, "value": [{"type": "text", "text": "来自另一张表"}]}) == "来自另一张表"
    assert to_text({"type": 2, "value": [42]}) == "42"
    assert to_text(["A", "B"]) == "A, B"  # multi-select
    assert to_text({"text": "spec", "link": "https://example.com"}) == "spec"
    assert to_text([{"name": "张三", "id": "ou_1"}, {"name": "李四", "id": "ou_2"}]) == "张三, 李四"


def test_several_columns_join_as_paragraphs_and_skip_empty_ones() -> None:
    notes = [{"type": "text", "text": "第一点 \n第二点"}]
    fields = {"Summary": "结论：下周发布。", "Notes": notes, "Empty": ""}
    assert join_text(fields, ["Summary", "Missing", "Empty", "Notes"]) == "结论：下周发布。\n\n第一点\n第二点"


def test_long_minutes_come_through_whole() -> None:
    segments = [{"type": "text", "text": f"第{i}段内容。"} for i in range(5000)]
    text = to_text(segments)
    assert text.startswith("第0段内容。") and text.endswith("第4999段内容。")
    assert len(text) == sum(len(s["text"]) for s in segments)


def test_numbers_speed_attachments_and_event_values() -> None:
    assert to_number("1.25") == 1.25
    assert to_number("1.5x") == 1.5
    assert to_number("fast") is None
    assert attachments(None) == []
    assert attachments([{"file_token": "box1", "name": "a.mp3"}, {"name": "broken"}]) == [
        {"file_token": "box1", "name": "a.mp3"}
    ]
    assert event_value('[{"type":"text","text":"x"}]') == [{"type": "text", "text": "x"}]
    assert event_value("Pending") == "Pending"
    assert event_value("") is None


def test_content_hash_changes_with_text_voice_speed_and_format_only() -> None:
    base = content_hash("文本", None, "", "mp3")
    assert base == content_hash("文本", None, "", "mp3")
    assert len({base, content_hash("文本2", None, "", "mp3"), content_hash("文本", "v", "", "mp3"),
                content_hash("文本", None, "1.2", "mp3"), content_hash("文本", None, "", "opus")}) == 5
