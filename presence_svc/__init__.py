"""presence_svc: when each VEN was last seen; ven_online / ven_offline for backends and handlers."""
