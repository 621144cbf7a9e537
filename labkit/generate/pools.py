"""Field pools: the clients, requests, referers and syslog events the generator picks from.

Pools are built once per process from a fixed internal seed (the "website" is the same for every
dataset; a dataset's seed only drives the picks). Popularity is Zipf-like: weight ``1 / rank**s``.
Every string here is printable ASCII without ``"`` or ``\\``, so it is safe inside JSON and quotes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

__all__ = ["Request", "SyslogPool", "WebPool", "syslog_pool", "web_pool", "zipf"]

_POOL_SEED = "labkit-generate-pools-v1"

#: Client classes: people with browsers, search-engine crawlers, monitors, vulnerability scanners.
HUMAN, CRAWLER, MONITOR, SCANNER = 0, 1, 2, 3


def zipf(n: int, s: float = 1.1) -> list[float]:
    """Zipf-like weights for ranks 1..n."""
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


@dataclass(frozen=True, slots=True)
class Request:
    """One pre-decided request outcome; ``size`` is ``None`` when no body was sent."""

    method: str
    path: str
    protocol: str
    status: int
    size: int | None


@dataclass(frozen=True, slots=True)
class WebPool:
    """Web-log pools: clients (ip, user, agent, class) and per-class weighted requests."""

    ips: tuple[str, ...]
    users: tuple[str, ...]
    agents: tuple[str, ...]
    classes: tuple[int, ...]
    client_cum: tuple[float, ...]
    requests: tuple[tuple[Request, ...], ...]  # indexed by client class
    request_cum: tuple[tuple[float, ...], ...]
    referers: tuple[str, ...]
    referer_cum: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class SyslogPool:
    """Syslog pool: pre-rendered ``host program[pid]: message`` tails, picked uniformly."""

    tails: tuple[str, ...]


# --------------------------------------------------------------------------------------- web


def _public_ip(rng: random.Random) -> str:
    while True:
        a = rng.randint(1, 223)
        if a not in (10, 100, 127, 169, 172, 192):
            return f"{a}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _browser_agents(rng: random.Random) -> list[str]:
    agents = []
    for v in range(120, 132):
        agents.append(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{v}.0.0.0 Safari/537.36"
        )
        agents.append(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            f"(KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
        )
        agents.append(
            f"Mozilla/5.0 (Linux; Android {rng.choice((10, 12, 13, 14))}; K) AppleWebKit/537.36 "
            f"(KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36"
        )
        agents.append(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0"
        )
    for v in range(115, 134, 2):
        agents.append(
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
        )
        agents.append(f"Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0")
        agents.append(
            f"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
        )
    for major, minor in ((16, 6), (17, 1), (17, 4), (17, 6), (18, 0), (18, 1)):
        agents.append(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Version/{major}.{minor} Safari/605.1.15"
        )
        agents.append(
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {major}_{minor} like Mac OS X) "
            f"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{major}.{minor} Mobile/15E148 "
            "Safari/604.1"
        )
    return agents


_CRAWLER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
)
_MONITOR_AGENTS = (
    "kube-probe/1.30",
    "Prometheus/2.53.0",
    "UptimeRobot/2.0; http://www.uptimerobot.com/",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
)
_SCANNER_AGENTS = (
    "-",
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "Wget/1.21.4",
)
_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
_WORDS = (
    "async", "threads", "gil", "queue", "pool", "pipeline", "sqlite", "backpressure", "futures",
    "asyncio", "locks", "multiprocessing", "pickling", "spawn", "fork", "batching", "profiling",
    "logging", "parsing", "regex", "chunks", "memory", "shards", "workers", "latency",
    "throughput", "benchmark", "deadlock", "semaphore", "events",
)  # fmt: skip

# status mixes per kind of path: (status, probability)
_PAGE = ((200, 0.90), (304, 0.03), (301, 0.02), (302, 0.01), (404, 0.03), (500, 0.01))
_STATIC = ((200, 0.80), (304, 0.18), (404, 0.02))
_API_GET = ((200, 0.93), (401, 0.02), (404, 0.02), (500, 0.02), (503, 0.01))
_API_POST = ((201, 0.86), (200, 0.04), (400, 0.05), (401, 0.02), (500, 0.03))
_API_DELETE = ((204, 0.9), (404, 0.07), (500, 0.03))
_FIXED_SIZES = {301: 169, 302: 145, 304: None, 204: None, 400: 61, 401: 43, 403: 153}
_FIXED_SIZES |= {404: 153, 500: 177, 503: 197}


def _protocol(rng: random.Random) -> str:
    return rng.choices(("HTTP/1.1", "HTTP/2.0", "HTTP/1.0"), (70, 28, 2))[0]


def _outcomes(
    rng: random.Random,
    method: str,
    path: str,
    weight: float,
    mix: tuple[tuple[int, float], ...],
    body: int,
    fixed_body: bool,
) -> list[tuple[Request, float]]:
    """The request's outcomes (status, size variant) with their weights."""
    out = []
    for status, p in mix:
        if status in (200, 201):
            variants = [body] if fixed_body else [int(body * rng.uniform(0.9, 1.1)) for _ in "abc"]
        else:
            variants = [_FIXED_SIZES[status]]
        for size in variants:
            req = Request(method, path, _protocol(rng), status, size)
            out.append((req, weight * p / len(variants)))
    return out


def _human_requests(rng: random.Random) -> list[tuple[Request, float]]:
    pages = ["/", "/about", "/pricing", "/contact", "/login", "/signup", "/blog/", "/cart"]
    pages += ["/checkout", "/docs/", "/products/"]
    pages += [f"/blog/{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{i}" for i in range(150)]
    pages += [f"/docs/{rng.choice(_WORDS)}/{rng.choice(_WORDS)}" for _ in range(100)]
    pages += [f"/products/{rng.randint(1000, 99999)}" for _ in range(200)]
    pages += [f"/search?q={rng.choice(_WORDS)}+{rng.choice(_WORDS)}" for _ in range(60)]
    statics = ["/favicon.ico", "/fonts/inter-var.woff2", "/robots.txt"]
    statics += [f"/static/css/main.{rng.getrandbits(32):08x}.css" for _ in range(3)]
    statics += [f"/static/js/{n}.{rng.getrandbits(32):08x}.js" for n in ("app", "vendor", "chat")]
    statics += [
        f"/images/{rng.choice(_WORDS)}-{i}.{rng.choice(('png', 'jpg', 'webp', 'svg'))}"
        for i in range(120)
    ]
    api = [f"/api/v1/items?page={i}" for i in range(1, 30)]
    api += [f"/api/v1/items/{rng.randint(1, 50000)}" for _ in range(80)]
    api += ["/api/v1/users/me", "/api/v1/notifications", "/api/v1/cart"]
    kinds = [(p, "page") for p in pages] + [(p, "static") for p in statics]
    kinds += [(p, "api") for p in api]
    rng.shuffle(kinds)
    # the home page and the favicon lead; everything else is a shuffled long tail
    for lead in ("/favicon.ico", "/"):
        idx = next(i for i, (p, _) in enumerate(kinds) if p == lead)
        kinds.insert(0, kinds.pop(idx))
    out: list[tuple[Request, float]] = []
    for (path, kind), weight in zip(kinds, zipf(len(kinds), 1.15), strict=True):
        if kind == "page":
            body = int(rng.lognormvariate(9.3, 0.6))
            out += _outcomes(rng, "GET", path, weight, _PAGE, body, False)
            if rng.random() < 0.1:
                out += _outcomes(rng, "HEAD", path, weight * 0.02, ((200, 1.0),), 0, True)
        elif kind == "static":
            body = int(rng.lognormvariate(10.0, 1.2)) + 200
            out += _outcomes(rng, "GET", path, weight, _STATIC, body, True)
        else:
            body = int(rng.lognormvariate(7.0, 1.0)) + 20
            out += _outcomes(rng, "GET", path, weight, _API_GET, body, False)
            if "?" not in path:
                out += _outcomes(rng, "POST", path, weight * 0.2, _API_POST, 96, False)
                out += _outcomes(rng, "PUT", path, weight * 0.05, _API_POST[1:], 120, False)
                out += _outcomes(rng, "DELETE", path, weight * 0.02, _API_DELETE, 0, True)
    return out


def _crawler_requests(
    rng: random.Random, human: list[tuple[Request, float]]
) -> list[tuple[Request, float]]:
    out = [(Request("GET", "/robots.txt", "HTTP/1.1", 200, 68), 30.0)]
    out.append((Request("GET", "/sitemap.xml", "HTTP/1.1", 200, 48211), 10.0))
    for req, _ in human:
        if req.method == "GET" and not req.path.startswith(("/api/", "/static/", "/search")):
            out.append((Request("GET", req.path, "HTTP/1.1", req.status, req.size), 1.0))
    return out


def _monitor_requests(rng: random.Random) -> list[tuple[Request, float]]:
    return [
        (Request("GET", "/healthz", "HTTP/1.1", 200, 2), 60.0),
        (Request("GET", "/healthz", "HTTP/1.1", 503, 19), 0.2),
        (Request("GET", "/metrics", "HTTP/1.1", 200, 18234), 20.0),
        (Request("GET", "/api/v1/status", "HTTP/1.1", 200, 57), 15.0),
        (Request("HEAD", "/", "HTTP/1.1", 200, None), 5.0),
    ]


_SCAN_PATHS = (
    "/wp-login.php", "/.env", "/.git/config", "/phpmyadmin/index.php", "/admin/", "/xmlrpc.php",
    "/cgi-bin/luci/;stok=/locale", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/boaform/admin/formLogin", "/actuator/health", "/server-status", "/HNAP1/",
    "/.aws/credentials", "/owa/auth/logon.aspx", "/solr/admin/info/system", "/config.json",
    "/backup.zip", "/db.sql", "/wp-content/plugins/wp-file-manager/readme.txt", "/.DS_Store",
    "/api/.env", "/shell?cd+/tmp;rm+-rf+*", "/console/", "/login.action", "/manager/html",
)  # fmt: skip


def _scanner_requests(rng: random.Random) -> list[tuple[Request, float]]:
    out = []
    for path, weight in zip(_SCAN_PATHS, zipf(len(_SCAN_PATHS), 0.7), strict=True):
        for method, m_w in (("GET", 0.8), ("POST", 0.15), ("HEAD", 0.05)):
            for status, s_w in ((404, 0.85), (403, 0.08), (400, 0.04), (301, 0.03)):
                proto = rng.choice(("HTTP/1.1", "HTTP/1.0"))
                size = _FIXED_SIZES[status] if method != "HEAD" else None
                out.append((Request(method, path, proto, status, size), weight * m_w * s_w))
    return out


def _referers(rng: random.Random, human: list[tuple[Request, float]]) -> list[tuple[str, float]]:
    refs = [("-", 55.0)]
    pages = [r.path for r, _ in human if r.status == 200 and "." not in r.path]
    pages = [p for p in dict.fromkeys(pages) if not p.startswith("/api/")][:60]
    refs += [
        (f"https://www.example.com{p}", w)
        for p, w in zip(pages, zipf(len(pages), 1.0), strict=True)
    ]
    total_internal = sum(w for _, w in refs[1:])
    refs[1:] = [(r, 30.0 * w / total_internal) for r, w in refs[1:]]
    refs += [
        ("https://www.google.com/", 8.0),
        ("https://www.bing.com/", 1.5),
        ("https://duckduckgo.com/", 1.0),
        ("https://news.ycombinator.com/", 1.2),
        ("https://www.reddit.com/r/Python/", 1.0),
        ("https://t.co/Xk3s9aQw1z", 0.8),
        ("android-app://com.google.android.gm/", 0.3),
    ]
    return refs


@cache
def web_pool() -> WebPool:
    """The web pools (built once per process)."""
    rng = random.Random(_POOL_SEED + "/web")
    browsers = _browser_agents(rng)
    browser_cum = list(accumulate(zipf(len(browsers), 0.9)))
    clients: list[tuple[str, str, str, int, float]] = []
    # (class, how many clients, share of all requests, agents)
    for cls, count, share in ((HUMAN, 4000, 0.72), (CRAWLER, 24, 0.12), (MONITOR, 3, 0.08)):
        weights = zipf(count, 1.0)
        total = sum(weights)
        for i, w in enumerate(weights):
            if cls == HUMAN:
                agent = rng.choices(browsers, cum_weights=browser_cum)[0]
                user = rng.choice(_USERS) if rng.random() < 0.04 else "-"
            elif cls == CRAWLER:
                agent, user = _CRAWLER_AGENTS[i % len(_CRAWLER_AGENTS)], "-"
            else:
                agent, user = _MONITOR_AGENTS[i % len(_MONITOR_AGENTS)], "-"
            clients.append((_public_ip(rng), user, agent, cls, share * w / total))
    weights = zipf(300, 0.8)
    total = sum(weights)
    for w in weights:
        agent = rng.choice(_SCANNER_AGENTS)
        clients.append((_public_ip(rng), "-", agent, SCANNER, 0.08 * w / total))
    rng.shuffle(clients)

    human = _human_requests(rng)
    per_class = [human, _crawler_requests(rng, human), _monitor_requests(rng)]
    per_class.append(_scanner_requests(rng))
    referers = _referers(rng, human)
    return WebPool(
        ips=tuple(c[0] for c in clients),
        users=tuple(c[1] for c in clients),
        agents=tuple(c[2] for c in clients),
        classes=tuple(c[3] for c in clients),
        client_cum=tuple(accumulate(c[4] for c in clients)),
        requests=tuple(tuple(r for r, _ in reqs) for reqs in per_class),
        request_cum=tuple(tuple(accumulate(w for _, w in reqs)) for reqs in per_class),
        referers=tuple(r for r, _ in referers),
        referer_cum=tuple(accumulate(w for _, w in referers)),
    )


# ------------------------------------------------------------------------------------ syslog

_HOSTS = ("web1", "web2", "web3", "db1", "bastion", "ci-runner")
_HOST_CUM = tuple(accumulate((20, 15, 10, 8, 40, 7)))
_ATTACK_USERS = (
    "root", "admin", "test", "user", "ubuntu", "oracle", "postgres", "guest", "ftp", "git", "pi",
    "support", "deploy", "jenkins", "hadoop", "nagios", "minecraft", "ansible",
)  # fmt: skip
_COMMANDS = (
    "/usr/bin/apt update", "/usr/bin/systemctl restart nginx", "/usr/bin/journalctl -u sshd",
    "/bin/cat /var/log/auth.log", "/usr/bin/docker ps", "/usr/sbin/ufw status",
    "/usr/bin/tail -n 100 /var/log/syslog", "/usr/bin/vim /etc/nginx/nginx.conf",
)  # fmt: skip
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SSHD = "{host} sshd[{pid}]: "
_PAM_SSHD = _SSHD + "pam_unix(sshd:session): session "
_CRON = "{host} CRON[{pid}]: pam_unix(cron:session): session "
#: auth.log events: (weight, template); sudo and kernel lines have no pid
_EVENTS = (
    (10, _SSHD + "Accepted password for {user} from {admin} port {port} ssh2"),
    (4, _SSHD + "Accepted publickey for {user} from {admin} port {port} ssh2: "
     "ED25519 SHA256:{key}"),
    (18, _SSHD + "Failed password for invalid user {bad} from {attacker} port {port} ssh2"),
    (14, _SSHD + "Failed password for root from {attacker} port {port} ssh2"),
    (10, _SSHD + "Invalid user {bad} from {attacker} port {port}"),
    (8, _SSHD + "Connection closed by authenticating user root {attacker} port {port} [preauth]"),
    (3, _SSHD + "Received disconnect from {admin} port {port}:11: disconnected by user"),
    (4, _SSHD + "Disconnected from user {user} {admin} port {port}"),
    (3, _PAM_SSHD + "opened for user {user}(uid={uid}) by (uid=0)"),
    (4, _PAM_SSHD + "closed for user {user}"),
    (9, _CRON + "opened for user root(uid=0) by (uid=0)"),
    (9, _CRON + "closed for user root"),
    (3, "{host} sudo:     {user} : TTY=pts/{tty} ; PWD=/home/{user} ; USER=root ; COMMAND={cmd}"),
    (3, "{host} sudo: pam_unix(sudo:session): session opened for user root(uid=0) "
     "by {user}(uid={uid})"),
    (2, "{host} systemd-logind[{logind}]: New session {session} of user {user}."),
    (1, "{host} systemd-logind[{logind}]: Removed session {session}."),
    (6, "{host} kernel: [{uptime}] [UFW BLOCK] IN=eth0 OUT= SRC={attacker} DST=10.0.0.5 LEN=44 "
     "TOS=0x00 PREC=0x00 TTL=241 ID={ip_id} PROTO=TCP SPT={port} DPT={dport} WINDOW=1024 "
     "RES=0x00 SYN URGP=0"),
)  # fmt: skip
_EVENT_CUM = tuple(accumulate(w for w, _ in _EVENTS))


def _syslog_event(rng: random.Random, attackers: list[str], attacker_cum: list[float]) -> str:
    template = rng.choices(_EVENTS, cum_weights=_EVENT_CUM)[0][1]
    user = rng.choice(_USERS[:6])
    return template.format(
        host=rng.choices(_HOSTS, cum_weights=_HOST_CUM)[0],
        pid=rng.randint(300, 65000),
        user=user,
        uid=1000 + _USERS.index(user),
        port=rng.randint(32768, 60999),
        admin=f"10.0.{rng.randint(0, 3)}.{rng.randint(2, 60)}",
        attacker=rng.choices(attackers, cum_weights=attacker_cum)[0],
        bad=rng.choice(_ATTACK_USERS),
        key="".join(rng.choices(_KEY_CHARS, k=43)),
        tty=rng.randint(0, 4),
        cmd=rng.choice(_COMMANDS),
        logind=rng.randint(400, 900),
        session=rng.randint(1, 3000),
        uptime=f"{rng.randint(1000, 9_999_999)}.{rng.randint(0, 999_999):06d}",
        ip_id=rng.randint(1, 65535),
        dport=rng.choice((23, 445, 3389, 5900, 8080, 6379, 1433, 2375)),
    )


@cache
def syslog_pool() -> SyslogPool:
    """The syslog pool (built once per process)."""
    rng = random.Random(_POOL_SEED + "/syslog")
    attackers = [_public_ip(rng) for _ in range(400)]
    attacker_cum = list(accumulate(zipf(len(attackers), 1.2)))
    return SyslogPool(tuple(_syslog_event(rng, attackers, attacker_cum) for _ in range(8192)))
