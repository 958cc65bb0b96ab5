def build(session, site, demo):
    return None
