"""The delivery engine every sender goes through (campaigns, event and survey invitations,
service notices): message sources, the outbox, caps, quiet hours, unsubscribes and
preferences, tracking, receipts and inbound webhooks, channel backends and the sending
workers. Decisions are services in ``delivery.services``; what pages show is in
``delivery.selectors``; senders plug in through ``delivery.registry``."""
