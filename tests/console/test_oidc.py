"""Sign-in through the provincial SSO (OpenID Connect), on SQLite and PostgreSQL, against a fake
provider on loopback: a small HTTP server this test starts, serving the discovery document, a JWKS
with an RSA key made here, /auth (redirects back with a code, as Keycloak does once the person has
logged in) and /token (checks the client's secret and the PKCE verifier, returns an ID token signed
with that key). Only that edge is fake: the console's own routes, authlib's client and the ID
token's checks run for real.

Refused: a wrong nonce, a wrong audience, an expired token, a token signed by a key not in the
JWKS, a state this browser did not start, the provider's own error, a person with no mapped role,
an OPD admin without a mapped OPD, an SSO user disabled in Sigap. Let in: a mapped role, a local
user row made for the subject (the case log's `by` is the display name), updated at the next
sign-in, never taking over a local account of the same name; an admin_opd mapped to its OPD sees
only that OPD. Local accounts keep working beside it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from helpers.console import OPD_A, OPD_B, csrf_of, make_world
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config.sections import OidcSettings
from agents.console import accounts
from sop_registry.ledger.models import CaseEvent, User

_counter = itertools.count(1)
CLIENT_ID = "sigap-console"
CLIENT_SECRET = "rahasia-klien-sigap-1"
ROLES = {
    "sigap-admin": "admin",
    "sigap-kabid": "kepala_bidang",
    "sigap-teknisi": "teknisi",
    "sigap-opd": "admin_opd",
    "sigap-pemantau": "viewer",
}


class FakeProvider:
    """Keycloak's part of the flow, on 127.0.0.1:<free port>, with knobs for what it gets wrong."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.key = RSAKey.generate_key(2048, parameters={"kid": "kunci-1", "use": "sig"})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/realms/pemprov"
        self.codes: dict[str, dict] = {}
        self.person: dict = {}
        self.tamper: dict = {}  # claims to overwrite in the next ID token
        self.sign_with: RSAKey | None = None
        self.token_requests: list[dict] = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/protocol/openid-connect/auth",
            "token_endpoint": self.issuer + "/protocol/openid-connect/token",
            "jwks_uri": self.issuer + "/protocol/openid-connect/certs",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["plain", "S256"],
        }

    def id_token(self, request: dict) -> str:
        now = int(self.clock().timestamp())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": request["nonce"],
            **self.person,
            **self.tamper,
        }
        key = self.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                base = urlsplit(provider.issuer).path
                if url.path == base + "/.well-known/openid-configuration":
                    return self._json(200, provider.discovery())
                if url.path == base + "/protocol/openid-connect/certs":
                    return self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                if url.path == base + "/protocol/openid-connect/auth":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    back = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                if url.path != urlsplit(provider.issuer).path + "/protocol/openid-connect/token":
                    return self._json(404, {"error": "not_found"})
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._json(401, {"error": "invalid_client"})
                request = provider.codes.pop(form.get("code", ""), None)  # a code is good once
                if request is None or form.get("grant_type") != "authorization_code":
                    return self._json(400, {"error": "invalid_grant"})
                if form.get("redirect_uri") != request["redirect_uri"]:
                    return self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri"})
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if request.get("code_challenge_method") != "S256" or challenge != request.get(
                    "code_challenge"
                ):
                    return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                return self._json(
                    200,
                    {
                        "access_token": secrets.token_urlsafe(24),
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(request),
                    },
                )

        return Handler


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    from helpers.console import NOW, MovingClock

    tmp = tmp_path_factory.mktemp(f"oidc-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'ledger.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"sigap_oidc_{next(_counter)}")
    clock = MovingClock(NOW)
    provider = FakeProvider(clock)
    oidc = {
        "issuer": provider.issuer + "/",  # a trailing slash as an operator might type it
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "role_claim": "realm_access.roles",
        "opd_claim": "opd",
        "roles": ROLES,
        "opds": {"dinkes": OPD_A, "dishub": OPD_B, "hilang": "Dinas Yang Tidak Ada"},
    }
    w = make_world(tmp, url, report=False, console={"oidc": oidc})
    provider.clock = w.clock  # the provider's clock is the console's: exp and iat as the console sees them
    w.provider = provider
    yield w
    provider.stop()
    w.close()


def _person(world, sub: str, username: str, roles: list[str], **extra) -> None:
    world.provider.person = {
        "sub": sub,
        "preferred_username": username,
        "name": extra.pop("name", f"Pegawai {username}"),
        "email": f"{username}@kaltimprov.go.id",
        "realm_access": {"roles": ["offline_access", *roles]},
        **extra,
    }
    world.provider.tamper = {}
    world.provider.sign_with = None


def _sso(world, client=None, next_path: str = "/cases"):
    """The browser's round trip: the console -> the provider's /auth -> back to the callback."""
    client = client or world.client()
    start = client.get(f"/login/oidc?next={next_path}")
    assert start.status_code == 303, start.text[:500]
    at_provider = start.headers["location"]
    assert at_provider.startswith(world.provider.issuer + "/protocol/openid-connect/auth?")
    back = httpx.get(at_provider, follow_redirects=False)
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    assert callback.path == "/login/oidc/callback"
    return client, client.get(f"{callback.path}?{callback.query}"), parse_qs(urlsplit(at_provider).query)


def _user(world, sub: str) -> User | None:
    with Session(world.engine) as session:
        return session.scalars(select(User).where(User.oidc_subject == sub)).first()


def test_the_login_page_offers_the_sso_and_local_accounts_still_work(world):
    page = world.client().get("/login")
    assert "Masuk dengan SSO Provinsi" in page.text and 'href="/login/oidc?next=/cases"' in page.text
    client, reply = world.login("tek")
    assert reply.status_code == 303 and client.get("/cases").status_code == 200


def test_a_teknisi_signs_in_and_acts_under_its_display_name(world):
    _person(world, "f1c2-teknisi", "Rudi.Hartono", ["sigap-teknisi"], name="Rudi Hartono, S.Kom")
    client, reply, asked = _sso(world, next_path="/websites")
    assert reply.status_code == 303 and reply.headers["location"] == "/websites", reply.text[:800]
    # what the console asked for: code flow, PKCE S256, a state and a nonce, the configured scopes
    assert asked["response_type"] == ["code"] and asked["client_id"] == [CLIENT_ID]
    assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
    assert len(asked["state"][0]) >= 32 and len(asked["nonce"][0]) >= 32
    assert asked["scope"] == ["openid profile email"]
    assert asked["redirect_uri"] == ["http://testserver/login/oidc/callback"]
    assert world.provider.token_requests[-1]["code_verifier"]  # the verifier went only to /token
    assert "sigap_session" in client.cookies and "sigap_oidc" not in client.cookies
    user = _user(world, "f1c2-teknisi")
    assert (user.name, user.display_name, user.role, user.opds) == (
        "rudi.hartono",
        "Rudi Hartono, S.Kom",
        "teknisi",
        [],
    )
    assert user.oidc_issuer == world.provider.issuer and user.password_hash is None
    assert user.email == "Rudi.Hartono@kaltimprov.go.id"
    assert not accounts.verify_password(user, "")  # no local password opens this account
    # the session works like a local one: a move is recorded under the display name
    page = client.get(f"/cases/{world.cases['opd-a']}")
    assert page.status_code == 200 and "Rudi Hartono, S.Kom" in page.text
    reply = client.post(
        f"/cases/{world.cases['opd-a']}/ack",
        data={"csrf": csrf_of(page.text), "action": "ack", "note": "OTW"},
    )
    assert reply.status_code in (200, 303), reply.text[:500]
    with Session(world.engine) as session:
        last = session.scalars(select(CaseEvent).order_by(CaseEvent.id.desc())).first()
        assert (last.kind, last.actor) == ("acknowledged", "Rudi Hartono, S.Kom")
    # its second factor is the provider's: the account page says so, and Sigap's TOTP is not offered
    account = client.get("/account")
    assert "masuk melalui SSO Provinsi" in account.text and "/account/totp/start" not in account.text
    assert client.post("/account/totp/start", data={"csrf": csrf_of(page.text)}).status_code == 409
    assert _user(world, "f1c2-teknisi").totp_pending is None
    client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert client.get("/cases").status_code == 303


def test_an_opd_admin_sees_only_its_opd(world):
    _person(world, "opd-b-admin", "admin.dishub", ["sigap-opd"], opd="dishub")
    client, reply, _ = _sso(world)
    assert reply.status_code == 303, reply.text[:800]
    user = _user(world, "opd-b-admin")
    assert (user.role, user.opds) == ("admin_opd", [OPD_B])
    sites = client.get("/websites").text
    assert "dishub" in sites and "dinkes" not in sites and OPD_A not in sites
    assert client.get("/websites/dinkes").status_code == 404
    assert client.get("/websites/dishub").status_code == 200
    assert client.get(f"/cases/{world.cases['opd-a']}").status_code == 404
    assert client.get(f"/cases/{world.cases['opd-b']}").status_code == 200


def test_the_next_sign_in_brings_the_row_up_to_date(world):
    _person(world, "berpindah", "siti", ["sigap-pemantau"])
    assert _sso(world)[1].status_code == 303
    assert _user(world, "berpindah").role == "viewer"
    _person(world, "berpindah", "siti", ["sigap-kabid", "sigap-pemantau"], name="Siti Aminah, M.T.")
    assert _sso(world)[1].status_code == 303
    user = _user(world, "berpindah")
    assert (user.name, user.role, user.display_name) == ("siti", "kepala_bidang", "Siti Aminah, M.T.")
    with Session(world.engine) as session:
        assert session.query(User).filter(User.oidc_subject == "berpindah").count() == 1


def test_a_local_account_of_the_same_name_is_not_taken_over(world):
    _person(world, "bukan-tek", "tek", ["sigap-admin"])
    client, reply, _ = _sso(world)
    assert reply.status_code == 303
    sso_user = _user(world, "bukan-tek")
    assert sso_user.name == "tek-sso" and sso_user.role == "admin"
    with Session(world.engine) as session:
        local = accounts.find_user(session, "tek")
        assert local.oidc_subject is None and local.role == "teknisi"
    assert client.get("/users").status_code == 200  # the SSO admin's own session, as an admin


@pytest.mark.parametrize(
    "what,tamper,reason",
    [
        ("wrong nonce", {"nonce": "bukan-nonce-ini"}, "Invalid claim: 'nonce'"),
        ("wrong audience", {"aud": "aplikasi-lain", "azp": "aplikasi-lain"}, "Invalid claim: 'aud'"),
        ("expired", {"exp": "past"}, "The token is expired"),
        ("issued in the future", {"iat": "future"}, "issued in the future"),
        ("another issuer", {"iss": "http://127.0.0.1:9/realms/palsu"}, "Invalid claim: 'iss'"),
        ("no subject", {"sub": None}, "Missing claim: 'sub'"),
    ],
)
def test_a_bad_id_token_is_refused(world, caplog, what, tamper, reason):
    _person(world, f"tamper-{what}", "tamper", ["sigap-admin"])
    now = int(world.clock().timestamp())
    if tamper.get("exp") == "past":
        tamper = {"exp": now - 600, "iat": now - 900}  # beyond the 60 s leeway
    if tamper.get("iat") == "future":
        tamper = {"iat": now + 900, "exp": now + 1200}
    world.provider.tamper = {k: v for k, v in tamper.items() if v is not None}
    if tamper.get("sub", "") is None:
        world.provider.person.pop("sub")
    client, reply, _ = _sso(world)
    assert reply.status_code == 401, (what, reply.text[:500])
    assert "Masuk dengan SSO Provinsi gagal: tanda masuk dari SSO tidak sah" in reply.text
    assert reason in caplog.text  # refused for this reason, not another
    assert "sigap_session" not in client.cookies and _user(world, f"tamper-{what}") is None


def test_a_token_signed_by_a_key_not_in_the_jwks_is_refused(world, caplog):
    _person(world, "kunci-palsu", "palsu", ["sigap-admin"])
    world.provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "kunci-1"})  # same kid
    _client, reply, _ = _sso(world)
    assert reply.status_code == 401 and _user(world, "kunci-palsu") is None
    assert "BadSignatureError" in caplog.text
    world.provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "kunci-lain"})  # unknown kid
    _client, reply, _ = _sso(world)
    assert reply.status_code == 401 and _user(world, "kunci-palsu") is None
    assert "No key for kid: 'kunci-lain'" in caplog.text  # after one fresh look at the JWKS


def test_a_rotated_key_is_fetched_again(world):
    _person(world, "rotasi", "rotasi", ["sigap-teknisi"])
    assert _sso(world)[1].status_code == 303  # the JWKS with kunci-1 is cached now
    old = world.provider.key
    world.provider.key = RSAKey.generate_key(2048, parameters={"kid": "kunci-2", "use": "sig"})
    try:
        assert _sso(world)[1].status_code == 303
    finally:
        world.provider.key = old


@pytest.mark.parametrize(
    "roles,extra,key_text",
    [
        (["offline_access", "uma_authorization"], {}, "belum memiliki peran di Sigap"),
        (["sigap-opd"], {}, "OPD-nya belum dipetakan"),
        (["sigap-opd"], {"opd": "dinas-lain"}, "OPD-nya belum dipetakan"),
        (["sigap-opd"], {"opd": "hilang"}, "OPD-nya belum dipetakan"),  # mapped to no target's OPD
    ],
)
def test_no_mapped_role_or_opd_is_refused_with_a_message(world, roles, extra, key_text):
    sub = f"tanpa-{'-'.join(roles)}-{extra.get('opd', '')}"
    _person(world, sub, "tanpa.peran", roles, **extra)
    client, reply, _ = _sso(world)
    assert reply.status_code == 403 and key_text in reply.text
    assert "Masuk dengan SSO Provinsi" in reply.text  # still the login page, with the way back
    assert "sigap_session" not in client.cookies and _user(world, sub) is None


def test_an_sso_user_disabled_in_sigap_stays_out(world):
    _person(world, "dinonaktifkan", "keluar", ["sigap-teknisi"])
    assert _sso(world)[1].status_code == 303
    with Session(world.engine) as session, session.begin():
        accounts.set_disabled(session, accounts.find_user(session, "keluar"), True, world.clock())
    client, reply, _ = _sso(world)
    assert reply.status_code == 403 and "dinonaktifkan di Sigap" in reply.text
    assert "sigap_session" not in client.cookies


def test_the_state_must_be_this_browsers(world):
    _person(world, "state", "state", ["sigap-admin"])
    victim = world.client()
    start = victim.get("/login/oidc")
    back = httpx.get(start.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    # an attacker's browser (no cookie of this login) cannot use the callback...
    attacker = world.client()
    reply = attacker.get(f"{callback.path}?{callback.query}")
    assert reply.status_code == 400 and "kedaluwarsa atau tidak cocok" in reply.text
    # ...and this browser refuses a callback with another state
    query = parse_qs(callback.query)
    forged = urlencode({"code": query["code"][0], "state": "x" * 32})
    assert victim.get(f"{callback.path}?{forged}").status_code == 400
    assert _user(world, "state") is None
    # a login left at the provider too long is over
    start = victim.get("/login/oidc")
    back = httpx.get(start.headers["location"], follow_redirects=False)
    world.clock.advance(minutes=11)
    callback = urlsplit(back.headers["location"])
    assert victim.get(f"{callback.path}?{callback.query}").status_code == 400


def test_the_providers_own_refusal_is_shown(world):
    client = world.client()
    start = client.get("/login/oidc")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    reply = client.get("/login/oidc/callback?" + urlencode({"error": "access_denied<b>", "state": state}))
    assert reply.status_code == 401 and "SSO Provinsi menolak permintaan masuk (access_denied)" in reply.text


def test_an_unreachable_provider_leaves_local_login(tmp_path):
    oidc = {"issuer": "http://127.0.0.1:9/realms/pemprov", "client_id": CLIENT_ID, "roles": ROLES}
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False, console={"oidc": oidc})
    try:
        reply = w.client().get("/login/oidc")
        assert reply.status_code == 502 and "tidak dapat dihubungi" in reply.text
        assert w.login("tek")[1].headers["location"] == "/cases"
        assert w.client().get("/login/oidc/callback?code=x&state=y").status_code == 400
    finally:
        w.close()


def test_without_oidc_config_there_is_no_sso(tmp_path):
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    try:
        assert "SSO" not in w.client().get("/login").text
        assert w.client().get("/login/oidc").status_code == 404
        assert w.client().get("/login/oidc/callback?code=x&state=y").status_code == 404
    finally:
        w.close()


@pytest.mark.parametrize(
    "change,where",
    [
        ({"issuer": "http://sso.kaltimprov.go.id/realms/p"}, "issuer"),
        ({"scopes": ["profile"]}, "scopes"),
        ({"roles": {"x": "boss"}}, "roles"),
        ({"roles": {}}, "roles"),
        ({"client_id": ""}, "client_id"),
        ({"clientid": "x"}, "clientid"),
    ],
)
def test_the_config_is_checked(change, where):
    base = {"issuer": "https://sso.kaltimprov.go.id/realms/pemprov", "client_id": "sigap", "roles": ROLES}
    OidcSettings.model_validate(base)
    with pytest.raises(ValidationError) as err:
        OidcSettings.model_validate({**base, **change})
    assert where in str(err.value)
