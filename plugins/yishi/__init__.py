"""一事一议 (one matter, one discussion): fund and labour raising for village public works."""
