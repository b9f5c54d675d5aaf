"""Reports (统计): a business day's metrics per centre, item or counter, read from the tickets."""
