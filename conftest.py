pytest_plugins = ["cw_shared.testing"]
