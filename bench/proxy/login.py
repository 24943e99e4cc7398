"""Logs in through the sidecar and scripts/lib/provider.mjs without a browser,
and prints the session cookies as a Cookie header value (for wrk -H).

  python3 login.py SITE USER      # SITE: the sidecar's base URL, http://127.0.0.1:PORT

Plays what a browser does: GET SITE/ (302 to the provider, login cookie set),
the provider's development login form (any user and password) and consent
page, then the callback on the sidecar, which sets the session. Checks that
SITE/ then answers 200 with that session.
"""
import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand: each hop is checked."""

    def redirect_request(self, *args, **kwargs):
        return None


JAR = http.cookiejar.CookieJar()
OPENER = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(JAR))


def fetch(url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers={"Accept": "text/html"})
    try:
        response = OPENER.open(request, timeout=10)
    except urllib.error.HTTPError as error:  # 3xx and 4xx come back as errors without a handler
        response = error
    with response:
        return response.status, response.headers, response.read().decode("utf-8", "replace")


def fail(message):
    sys.exit("login.py: " + message)


def login(site, user):
    status, headers, _ = fetch(site + "/")
    if status != 302:
        fail("GET %s/: expected 302 to the provider, got %d" % (site, status))
    url = urllib.parse.urljoin(site + "/", headers["Location"])
    # The provider: authorization endpoint, login form, consent, back to the
    # callback. A handful of hops; more means a loop.
    for _ in range(12):
        if url.startswith(site + "/"):
            break
        status, headers, page = fetch(url)
        if status in (302, 303):
            url = urllib.parse.urljoin(url, headers["Location"])
        elif status == 200 and 'name="login"' in page:
            status, headers, _ = fetch(url, {"prompt": "login", "login": user, "password": user})
            url = urllib.parse.urljoin(url, headers["Location"])
        elif status == 200 and 'value="consent"' in page:
            status, headers, _ = fetch(url, {"prompt": "consent"})
            url = urllib.parse.urljoin(url, headers["Location"])
        else:
            fail("unexpected answer %d at %s" % (status, url))
    else:
        fail("the provider never sent the browser back to %s" % site)

    status, headers, page = fetch(url)
    if status != 302:
        fail("the callback answered %d: %s" % (status, page[:300]))
    status, _, _ = fetch(site + "/")
    if status != 200:
        fail("GET %s/ with the new session answered %d" % (site, status))
    host = urllib.parse.urlsplit(site).hostname
    session = ["%s=%s" % (c.name, c.value) for c in JAR
               if c.domain == host and c.name.startswith("authgate_session")]
    if not session:
        fail("no authgate_session cookie was set")
    return "; ".join(session)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(login(sys.argv[1].rstrip("/"), sys.argv[2]))


main()
