"""The sender brand: who a customer hears from. Admins edit it on one page
(``/settings/brand/``); customer pages, email, SMS checks and the SMS gateway read it
through :func:`carecrm.core.branding.selectors.current_brand`."""
