"""低保 — rural minimum living guarantee (社会救助暂行办法 art. 9–13; 最低生活保障审核确认办法 2021)."""
