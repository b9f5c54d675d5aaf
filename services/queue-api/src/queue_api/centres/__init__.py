"""Service centres (服务中心): where clerks work and tickets are served."""
