"""Ways in besides the password: eHerkenning (OIDC flavour of a broker) and staff single sign-on (OIDC).

``models`` holds the providers as the administrator configures them and the login log; ``oidc`` the
mozilla-django-oidc backend and views that speak to them; ``sessions`` what a login leaves on the session
(the means, the level of assurance, whom it represents) and what each request reads back from it;
``devprovider`` a small OpenID provider for ``make run`` and the tests only.
"""
