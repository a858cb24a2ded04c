from __future__ import annotations

import re

import pytest

from tts_engine.text.normalize_zh import cardinal, digits, normalize_zh, say_as, spans


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # dates: years digit by digit, months and days as numbers
        ("2026年11月21日", "二零二六年十一月二十一日"),
        ("会议定于2026-11-21召开", "会议定于二零二六年十一月二十一日召开"),
        ("截止日期2026/03/05", "截止日期二零二六年三月五日"),
        ("生效日期2026.11.21.", "生效日期二零二六年十一月二十一日."),
        ("11月21号", "十一月二十一号"),
        ("1999年", "一九九九年"),
        ("2020-2024年", "二零二零到二零二四年"),
        # times
        ("下午3:30", "下午三点三十分"),
        ("15:05", "十五点零五分"),
        ("12:00开会", "十二点开会"),
        ("凌晨2:15", "凌晨两点十五分"),
        ("用时1:02:03", "用时一点零二分三秒"),
        ("比分3:2", "比分三比二"),  # minutes have two digits; this is a score
        # decimals, percentages, negatives
        ("15.5", "十五点五"),
        ("增长15.5%", "增长百分之十五点五"),
        ("下降-2.5%", "下降负百分之二点五"),
        ("利润率为0.05", "利润率为零点零五"),
        ("比例10%-20%", "比例百分之十到百分之二十"),
        ("千分之3是3‰", "千分之三是千分之三"),
        ("气温-5度", "气温负五度"),
        ("室外-5℃", "室外零下五摄氏度"),
        ("体温37.5°C", "体温三十七点五摄氏度"),
        # money and thousands separators
        ("¥1,280", "一千二百八十元"),
        ("$3.5", "三点五美元"),
        ("1,280元", "一千二百八十元"),
        ("价格为1280.50元", "价格为一千二百八十点五元"),
        ("¥12.00", "十二元"),
        ("预算¥1,280万元", "预算一千二百八十万元"),
        ("融资$3.5亿", "融资三点五亿美元"),
        ("€20", "二十欧元"),
        ("共1,234,567人", "共一百二十三万四千五百六十七人"),
        # phone numbers: digit by digit, 一 read 幺
        ("13812345678", "幺三八幺二三四五六七八"),
        ("电话138-1234-5678", "电话幺三八 幺二三四 五六七八"),
        ("010-12345678", "零幺零 幺二三四五六七八"),
        ("客服400-800-1234", "客服四零零 八零零 幺二三四"),
        ("+8613912345678", "加八六幺三九幺二三四五六七八"),
        # ranges, ordinals, counts
        ("3-5天", "三到五天"),
        ("3~5km", "三到五公里"),
        ("第3章", "第三章"),
        ("第2名", "第二名"),
        ("2个人", "两个人"),
        ("共2位同事", "共两位同事"),
        ("12个", "十二个"),
        ("2万", "两万"),
        ("2.5个小时", "二点五个小时"),
        ("2", "二"),
        # units after numbers
        ("5km", "五公里"),
        ("跑了5 km", "跑了五公里"),
        ("体重60kg", "体重六十公斤"),
        ("重2kg", "重两公斤"),
        ("升高2℃", "升高二摄氏度"),
        ("身高175cm", "身高一百七十五厘米"),
        ("长100m", "长一百米"),
        ("内存256GB", "内存二百五十六吉字节"),
        ("文件12MB", "文件十二兆字节"),
        ("延迟15ms", "延迟十五毫秒"),
        ("用时3s", "用时三秒"),
        ("风速3m/s", "风速三米每秒"),
        ("面积120m²", "面积一百二十平方米"),
        # fractions, plain integers, versions, addresses, codes
        ("3/4", "四分之三"),
        ("1280", "一千二百八十"),
        ("10", "十"),
        ("100010", "十万零一十"),
        ("版本3.2", "版本三点二"),
        ("版本3.10.2", "版本三点十点二"),
        ("服务器192.168.1.1", "服务器一九二点一六八点一点一"),
        ("编号007", "编号零零七"),
        ("订单202611210001234", "订单二零二六一一二一零零零一二三四"),
        # symbols
        ("1+1=2", "一加一等于二"),
    ],
)
def test_normalize_zh(text: str, spoken: str) -> None:
    assert normalize_zh(text) == spoken


@pytest.mark.parametrize(
    "sentence",
    [
        "2026年11月21日下午3:30，项目组在3号会议室召开季度会议，共12人参加。",
        "今年销售收入达到1,280万元，同比增长15.5%，利润率为8.2%。",
        "请于11月25日前联系王经理（13812345678）或拨打010-12345678确认。",
        "会议决定第3季度预算上调至¥2,500,000，其中研发占3/4。",
        "服务器响应时间从350ms降到120ms，磁盘占用从80GB降到64.5GB。",
        "本次活动持续3-5天，预计接待2,000人次，人均消费$35.5。",
    ],
)
def test_meeting_minutes_keep_no_digits_and_keep_their_words(sentence: str) -> None:
    spoken = normalize_zh(sentence)
    assert not re.search(r"[0-9%¥$]", spoken)
    # everything that was not a number survives unchanged and in order
    words = re.sub(r"[0-9.,:%¥$~/\-（）()a-zA-Z]+", " ", sentence).split()
    pos = 0
    for word in words:
        pos = spoken.index(word, pos) + len(word)


def test_spans_point_at_the_original_text() -> None:
    text = "会议于2026年11月21日召开，预算¥1,280。"
    found = spans(text)
    assert [text[s:e] for s, e, _ in found] == ["2026年11月21日", "¥1,280"]
    assert [spoken for *_, spoken in found] == ["二零二六年十一月二十一日", "一千二百八十元"]


def test_helpers() -> None:
    assert digits("2026") == "二零二六"
    assert digits("110", yao=True) == "幺幺零"
    assert cardinal("-1,280.5") == "负一千二百八十点五"
    assert cardinal("2", liang=True) == "两"
    assert cardinal("12", liang=True) == "十二"


@pytest.mark.parametrize(
    ("text", "kind", "fmt", "spoken"),
    [
        ("ABC", "characters", None, "A B C"),
        ("123", "spell-out", None, "一二三"),
        ("AB12", "characters", None, "A B 一二"),
        ("2026", "digits", None, "二零二六"),
        ("110-1234", "telephone", None, "幺幺零 幺二三四"),
        ("2026-11-21", "date", None, "二零二六年十一月二十一日"),
        ("21/11/2026", "date", "dmy", "二零二六年十一月二十一日"),
        ("11/21", "date", "md", "十一月二十一日"),
        ("1,280", "cardinal", None, "一千二百八十"),
        ("3", "ordinal", None, "第三"),
    ],
)
def test_say_as(text: str, kind: str, fmt: str | None, spoken: str) -> None:
    assert say_as(text, kind, fmt) == spoken
