"""A small OpenID provider for ``make run`` and the tests only (DEV_IDENTITY_PROVIDER): never in production.

It plays both the eHerkenning broker (OIDC flavour) and the agency's staff IdP, at ``/dev-idp/``, so that a
login goes through the real redirects, a signed ID token and the userinfo endpoint, as with a real provider.
Its clients are the ``IdentityProvider`` rows whose issuer is this one (their secret is checked). On its
page the tester chooses who they are: a KVK number, a branch, a level of assurance and, for an intermediary,
the organisation represented; or, for staff, a username with roles and schemes. The signing key is made
when the process starts and lives only in memory.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from functools import cache as once
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from applications.models import Organisation
from schemes import assurance
from schemes.models import Scheme

from .models import IdentityProvider, Purpose

KID = "dev-1"
CODE_SECONDS = 300
TOKEN_SECONDS = 900


@once
def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issuer(request) -> str:
    return request.build_absolute_uri(reverse("dev-idp:discovery")).removesuffix("/.well-known/openid-configuration")


def _client(request, client_id: str) -> IdentityProvider | None:
    own = issuer(request).rstrip("/")
    return next(
        (p for p in IdentityProvider.objects.filter(client_id=client_id) if p.issuer.rstrip("/") == own),
        None,
    )


@require_GET
def discovery(request):
    base = issuer(request)
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/userinfo",
            "jwks_uri": base + "/jwks",
            "end_session_endpoint": base + "/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }
    )


@require_GET
def jwks(request):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_key().public_key(), as_dict=True)
    return JsonResponse({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]})


def _eherkenning_claims(post) -> dict:
    level = post.get("level", "eh3")
    claims = {
        "kvk": post.get("kvk", "").strip(),
        "vestiging": post.get("vestiging", "").strip(),
        "bedrijfsnaam": post.get("bedrijfsnaam", "").strip(),
        "sub": post.get("pseudoniem", "").strip() or "demo-persoon",
        "loa": assurance.URN_OF.get(level, ""),
    }
    if post.get("vertegenwoordigde_kvk", "").strip():
        claims["vertegenwoordigde_kvk"] = post["vertegenwoordigde_kvk"].strip()
        claims["dienst"] = "urn:etoegang:1.9:service:ketenmachtiging:subsidies"
    return claims


def _staff_claims(post) -> dict:
    username = post.get("username", "").strip()
    return {
        "sub": "dev-" + hashlib.sha256(username.encode()).hexdigest()[:16],
        "preferred_username": username,
        "given_name": post.get("given_name", "").strip(),
        "family_name": post.get("family_name", "").strip(),
        "email": post.get("email", "").strip(),
        "roles": post.getlist("roles"),
        "regelingen": post.getlist("regelingen"),
    }


def authorize(request):
    params = request.POST if request.method == "POST" else request.GET
    client = _client(request, params.get("client_id", ""))
    redirect_uri = params.get("redirect_uri", "")
    if client is None or not url_has_allowed_host_and_scheme(redirect_uri, allowed_hosts={request.get_host()}):
        return HttpResponseBadRequest("unknown client or redirect_uri")
    if params.get("response_type") != "code" or params.get("code_challenge_method", "S256") != "S256":
        return HttpResponseBadRequest("unsupported request")
    if request.method == "POST":
        claims = (
            _eherkenning_claims(request.POST) if client.purpose == Purpose.EHERKENNING else _staff_claims(request.POST)
        )
        code = secrets.token_urlsafe(24)
        grant = {
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "nonce": params.get("nonce"),
            "code_challenge": params.get("code_challenge"),
            "claims": claims,
        }
        cache.set(f"dev-idp:code:{code}", grant, CODE_SECONDS)
        return HttpResponseRedirect(f"{redirect_uri}?{urlencode({'code': code, 'state': params.get('state', '')})}")
    keep = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge")
    keep += ("code_challenge_method",)
    context = {
        "client": client,
        "hidden": [(name, params.get(name, "")) for name in keep],
        "levels": [(level, assurance.label(level)) for level in assurance.ORDER if level],
        "organisations": Organisation.objects.filter(is_demo=True).order_by("name")[:50],  # the demo's only
        "roles": sorted(client.role_mapping.items()),
        "schemes": Scheme.objects.order_by("name"),
    }
    return render(request, "identity/dev_authorize.html", context)


def _verifier_matches(verifier: str, challenge: str | None) -> bool:
    if not challenge:
        return True
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return secrets.compare_digest(digest, challenge)


@csrf_exempt
@require_POST
def token(request):
    client_id, secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    if request.headers.get("Authorization", "").startswith("Basic "):
        client_id, _sep, secret = base64.b64decode(request.headers["Authorization"][6:]).decode().partition(":")
    client = _client(request, client_id)
    if client is None or not secrets.compare_digest(secret, client.secret()):
        return JsonResponse({"error": "invalid_client"}, status=401)
    grant = cache.get(f"dev-idp:code:{request.POST.get('code', '')}")
    cache.delete(f"dev-idp:code:{request.POST.get('code', '')}")  # a code works once
    if (
        grant is None
        or grant["client_id"] != client_id
        or grant["redirect_uri"] != request.POST.get("redirect_uri")
        or not _verifier_matches(request.POST.get("code_verifier", ""), grant["code_challenge"])
    ):
        return JsonResponse({"error": "invalid_grant"}, status=400)
    now = int(time.time())
    id_token = jwt.encode(
        {
            **grant["claims"],
            "iss": issuer(request),
            "aud": client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "nonce": grant["nonce"],
        },
        _key(),
        algorithm="RS256",
        headers={"kid": KID},
    )
    access_token = secrets.token_urlsafe(24)
    cache.set(f"dev-idp:access:{access_token}", grant["claims"], TOKEN_SECONDS)
    return JsonResponse(
        {"access_token": access_token, "id_token": id_token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS}
    )


@require_GET
def userinfo(request):
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    claims = cache.get(f"dev-idp:access:{bearer}") if bearer else None
    if claims is None:
        return JsonResponse({"error": "invalid_token"}, status=401)
    return JsonResponse(claims)


@require_GET
def logout(request):
    """The end of the session at the provider; back to where the client asked, on this host only."""
    target = request.GET.get("post_logout_redirect_uri", "")
    if target and urlsplit(target).netloc == request.get_host():
        return HttpResponseRedirect(target)
    return HttpResponseRedirect("/")


urlpatterns = [
    path(".well-known/openid-configuration", discovery, name="discovery"),
    path("authorize", authorize, name="authorize"),
    path("token", token, name="token"),
    path("userinfo", userinfo, name="userinfo"),
    path("jwks", jwks, name="jwks"),
    path("logout", logout, name="logout"),
]
