"""The small-item rows of scripts/bench (issue #21): what a real backend does, thousands of 5–300 KB items read in
parallel, cold then from the cache, and a mount starting on a cache of many items.

Every row runs its readers in turn (A B A B …) for --reps repetitions. Readers are 8 parallel `cat`s
(`xargs -P 8 -n 8 cat`). The cold limit is curl (`-Z --parallel-max 8`) of the same `media/get` URLs from nginx,
which answers the token and `media/get` from files (`try_files` on `$arg_media_id`), so that row measures the
network and the client, not a slow server; rclone reads the same bytes through nginx's `/files/` listing. The
floor beside the warm and hot rows is `scripts/fuse-floor.c` answering the same names and sizes (`_sN`) with no
work; beside it, `scripts/fuse-passthrough.c` reads the same local files through FUSE and does nothing else (the
floor with the disk's read under it, the least a FUSE filesystem whose data is on disk can cost); beside the cold
row, `scripts/fuse-http-floor.c` GETs each item into memory at its lookup and does nothing else (the cold floor). The start-up row uses the simulator (`--generate N*image:4K`) to fill a cache once per binary, kept
under --data.
"""
import hashlib, os, random, shutil, signal, statistics, subprocess, tempfile, time

from bench_common import APPID, SECRET, Mount, Sim, drop_caches, log, stop_process, timed, unmount, wait_for

TOKEN = "BenchToken_small_items"


def ensure_nginx():
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], env=environment, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], env=environment, check=True, stdout=subprocess.DEVNULL)
    return shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    """nginx serving `items` as WeChat's token and media/get answers, and as a plain listing under /files/."""

    def __init__(self, work, items):
        self.work = os.path.join(work, "nginx")
        os.makedirs(self.work, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        token = '{"access_token":"%s","expires_in":7200}' % TOKEN
        config = f"""
user root;
worker_processes 2;
daemon off;
pid {self.work}/nginx.pid;
error_log {self.work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log {self.work}/access.log;
  client_body_temp_path {self.work}/body;
  proxy_temp_path {self.work}/proxy;
  fastcgi_temp_path {self.work}/fastcgi;
  uwsgi_temp_path {self.work}/uwsgi;
  scgi_temp_path {self.work}/scgi;
  keepalive_requests 1000000;
  sendfile on;
  tcp_nopush on;
  server {{
    listen 127.0.0.1:{self.port};
    location = /cgi-bin/stable_token {{ default_type application/json; return 200 '{token}'; }}
    location = /cgi-bin/token {{ default_type application/json; return 200 '{token}'; }}
    location = /cgi-bin/media/get {{
      root {items};
      default_type image/jpeg;
      add_header Content-Disposition 'attachment; filename="$arg_media_id.jpg"';
      try_files /$arg_media_id.jpg =404;
    }}
    location /files/ {{ alias {items}/; autoindex on; }}
  }}
}}
"""
        path = os.path.join(self.work, "nginx.conf")
        with open(path, "w") as f:
            f.write(config)
        self.log = open(os.path.join(self.work, "stderr"), "w")
        self.process = subprocess.Popen([ensure_nginx(), "-c", path, "-p", self.work], stdout=self.log, stderr=self.log)
        wait_for(lambda: port_open(self.port), what="nginx")

    def media_get_calls(self):
        with open(os.path.join(self.work, "access.log")) as f:
            return sum(1 for line in f if "/cgi-bin/media/get?" in line)

    def stop(self):
        stop_process(self.process, signal.SIGQUIT, timeout=10)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def parallel_cat(paths):
    """8 readers, as a backend's workers: `xargs -P 8 -n 8 cat > /dev/null`."""
    return timed(["xargs", "-0", "-P", "8", "-n", "8", "cat"], input=b"\0".join(p.encode() for p in paths))


def floor_read(program, work, base, environment, names):
    """Seconds to read `names` (`<name>.jpg`) with 8 readers through `scripts/fuse-http-floor.c` mounted on `base`,
    its token or store key in `environment` (never argv)."""
    point = tempfile.mkdtemp(dir=work, prefix="http-floor-mnt-")
    process = subprocess.Popen([program, base, point], env=dict(os.environ, **environment))
    try:
        wait_for(lambda: os.path.ismount(point), what="the HTTP floor filesystem")
        return parallel_cat([os.path.join(point, name + ".jpg") for name in names])
    finally:
        stop_process(process)
        unmount(point)


def wxmediafs_mount(binary, api, work, cache=None, environment=None, extra=()):
    """A mount on `api` (nginx or the simulator), its cache in `cache` (new when None), `extra` flags; (mount, seconds to ready)."""
    point = tempfile.mkdtemp(dir=work, prefix="small-mnt-")
    cache = cache or tempfile.mkdtemp(dir=work, prefix="small-cache-")
    env = dict(os.environ, WECHAT_APPSECRET=SECRET, **(environment or {}))
    log_file = open(os.path.join(work, "small-wxmediafs.log"), "a")
    start = time.perf_counter()
    process = subprocess.Popen([binary, "mount", point, "--api-base", api, "--appid", APPID, "--cache-dir", cache, "--cache-size", "16G",
                                "-o", "auto_unmount", "--log-level", os.environ.get("BENCH_LOG", "warning"), *extra], env=env, stdout=subprocess.PIPE, stderr=log_file, text=True)
    line = process.stdout.readline()
    ready = time.perf_counter() - start
    if "mounted on" not in line:
        raise RuntimeError("wxmediafs did not mount: " + line)
    return SmallMount(process, point, cache), ready


class SmallMount:
    def __init__(self, process, point, cache):
        self.process, self.point, self.cache = process, point, cache

    def path(self, name):
        return os.path.join(self.point, "media", name)

    def stop(self):
        stop_process(self.process)
        unmount(self.point)


class SmallRows:
    def __init__(self, bench):
        self.bench, self.o, self.binary = bench, bench.o, bench.binary
        self.work = bench.work

    def make_items(self):
        """`count` items of 5–300 KB (log-uniform, seeded), JPEG-marked random bytes, named `Small_<n>_s<size>`."""
        directory = os.path.join(self.o.data, f"small-{self.o.small_items}")
        marker = os.path.join(directory, ".made")
        rng = random.Random(21)
        sizes = [int(5_000 * (60 ** rng.random())) for _ in range(self.o.small_items)]
        names = [f"Small_{n:06d}_s{size}" for n, size in enumerate(sizes)]
        if not os.path.exists(marker):
            os.makedirs(directory, exist_ok=True)
            for name, size in zip(names, sizes):
                with open(os.path.join(directory, name + ".jpg"), "wb") as f:
                    f.write(b"\xff\xd8\xff\xe0" + os.urandom(size - 4))
            open(marker, "w").close()
        return directory, names, sizes

    def run(self):
        items, names, sizes = self.make_items()
        total = sum(sizes)
        count = len(names)
        log(f"small items: {count:,} of 5–300 KB, {total / (1 << 20):.1f} MiB")
        nginx = Nginx(self.work, items)
        floor = self.bench.floor_program()
        passthrough = self.bench.c_program("fuse-passthrough")
        http_floor = self.bench.c_program("fuse-http-floor", ("fuse3", "libcurl"))
        local = os.path.join(self.work, "small-local")
        shutil.copytree(items, local)
        cold_curl, cold_rclone, warm, hot, floor_warm, floor_hot, ttfb, calls, disk = [], [], [], [], [], [], [], [], []
        pass_warm, pass_hot, cold_floor = [], [], []
        rates = {"curl": [], "wxmediafs": [], "rclone": []}
        try:
            urls = [f"{nginx.url}/cgi-bin/media/get?access_token={TOKEN}&media_id={name}" for name in names]
            curl_config = os.path.join(self.work, "small-curl.cfg")
            with open(curl_config, "w") as f:
                for url in urls:
                    f.write(f'url = "{url}"\noutput = "/dev/null"\n')
            local_paths = [os.path.join(local, name + ".jpg") for name in names]
            for rep in range(self.o.reps):
                drop_caches()
                parallel_cat([os.path.join(items, n + ".jpg") for n in names])  # the server's files in memory, as nginx would keep them
                t_curl = timed(["curl", "-sf", "--no-progress-meter", "-Z", "--parallel-max", "8", "-K", curl_config])
                before = nginx.media_get_calls()
                mount, _ = wxmediafs_mount(self.binary, nginx.url, self.work)
                try:
                    paths = [mount.path(name + ".jpg") for name in names]
                    t_cold = parallel_cat(paths)
                    calls.append((nginx.media_get_calls() - before) / count)
                finally:
                    mount.stop()
                rclone = Mount("rclone", self.binary, _Server(nginx.url), self.work)
                try:
                    t_rclone = parallel_cat([rclone.path(name + ".jpg") for name in names])
                finally:
                    rclone.stop()
                t_floor = self.http_floor_time(http_floor, nginx, names)
                # warm: the same cache, a new process, the page cache dropped; then hot
                again, _ = wxmediafs_mount(self.binary, nginx.url, self.work, cache=mount.cache)
                try:
                    paths = [again.path(name + ".jpg") for name in names]
                    drop_caches()
                    t_local_warm = parallel_cat(local_paths)
                    drop_caches()
                    t_warm = parallel_cat(paths)
                    t_local_hot, t_hot = parallel_cat(local_paths), parallel_cat(paths)
                    disk.append(du_bytes(os.path.join(mount.cache, "v2") if os.path.isdir(os.path.join(mount.cache, "v2")) else mount.cache) / total)
                finally:
                    again.stop()
                shutil.rmtree(mount.cache, ignore_errors=True)
                f_warm, f_hot = self.floor_times([floor, "0"], names)
                p_warm, p_hot = self.floor_times([passthrough, local], names)
                cold_curl.append(t_curl / t_cold)
                cold_rclone.append(t_rclone / t_cold)
                cold_floor.append(t_curl / t_floor)
                warm.append(t_local_warm / t_warm)
                hot.append(t_local_hot / t_hot)
                floor_warm.append(t_local_warm / f_warm)
                floor_hot.append(t_local_hot / f_hot)
                pass_warm.append(t_local_warm / p_warm)
                pass_hot.append(t_local_hot / p_hot)
                rates["curl"].append(count / t_curl)
                rates["wxmediafs"].append(count / t_cold)
                rates["rclone"].append(count / t_rclone)
                ttfb.append(self.first_byte(nginx, names[count // 2], urls[count // 2]))
                log(f"small rep {rep + 1}: cold curl {t_curl:.3f} s, wxmediafs {t_cold:.3f} s, HTTP floor {t_floor:.3f} s, rclone {t_rclone:.3f} s; "
                    f"warm local {t_local_warm:.3f} / ours {t_warm:.3f} / floor {f_warm:.3f} / passthrough {p_warm:.3f} s; "
                    f"hot local {t_local_hot:.3f} / ours {t_hot:.3f} / floor {f_hot:.3f} / passthrough {p_hot:.3f} s; first byte {ttfb[-1]:.2f}×; disk {disk[-1]:.2f}×")
        finally:
            nginx.stop()
        median = {k: statistics.median(v) for k, v in rates.items()}
        label = f"{count:,} items of 5–300 KB, 8 readers"
        row = self.bench.row
        row(f"small, cold: {label}", "`curl -Z --parallel-max 8` of the same `media/get` URLs (nginx)", "≥ 0.8×", cold_curl,
            f"items/s: curl {median['curl']:,.0f}, wxmediafs {median['wxmediafs']:,.0f}")
        row("small, HTTP floor: cold", "a libfuse filesystem that GETs each item into memory at its lookup and does nothing else "
            "(`scripts/fuse-http-floor.c`)", "—", cold_floor, "ratio = curl time ÷ the floor's; compare the cold row")
        row("small, cold vs rclone (time ratio, >1: faster)", "rclone mount `--vfs-cache-mode full`, nginx listing", "≥ 2×", cold_rclone,
            f"rclone {median['rclone']:,.0f} items/s")
        row("small, warm (remount, page cache dropped)", "the same reader over local files, page cache dropped", "≥ 0.8×", warm,
            "ratio = local time ÷ ours")
        row("small, floor: warm", "a libfuse filesystem doing no work, same names and sizes", "—", floor_warm, "ratio = local ÷ floor")
        row("small, passthrough: warm", "a libfuse filesystem reading the same local files and doing nothing else (`scripts/fuse-passthrough.c`)",
            "—", pass_warm, "ratio = local ÷ passthrough; FUSE's floor plus the disk")
        row("small, hot", "local files, hot", "≥ the floor", hot, "ratio = local time ÷ ours")
        row("small, floor: hot", "a libfuse filesystem doing no work, same names and sizes", "—", floor_hot, "ratio = local ÷ floor")
        row("small, passthrough: hot", "the same passthrough, hot", "—", pass_hot, "ratio = local ÷ passthrough")
        row("small, media/get calls per item", "items", "1.00", calls, "counted in nginx's access log")
        row("small, cache on disk", "the items' bytes", "≤ 1.15×", disk, "`du` of the cache's item files ÷ the bytes")
        row("small, time to first byte (`head -c1`)", "`curl -r 0-0` of the same URL (both as commands)", "≤ 1.2×", ttfb,
            "ratio = ours ÷ curl's; lower is better")
        self.startup()

    def floor_times(self, command, names):
        """Warm (page cache dropped) and hot times of a reference filesystem (`command` + its mount point)."""
        point = tempfile.mkdtemp(dir=self.work, prefix="small-floor-mnt-")
        process = subprocess.Popen(command + [point])
        try:
            wait_for(lambda: os.path.ismount(point), what="the floor filesystem")
            paths = [os.path.join(point, name + ".jpg") for name in names]
            drop_caches()
            warm = parallel_cat(paths)
            return warm, parallel_cat(paths)
        finally:
            stop_process(process)
            unmount(point)

    def http_floor_time(self, program, nginx, names):
        """A cold read of every item through `scripts/fuse-http-floor.c`, the server's files in memory."""
        return floor_read(program, self.work, nginx.url, {"MEDIA_TOKEN": TOKEN}, names)

    def first_byte(self, nginx, name, url):
        drop_caches()
        curl = timed(["curl", "-sf", "-r", "0-0", "-o", "/dev/null", url])
        mount, _ = wxmediafs_mount(self.binary, nginx.url, self.work)
        try:
            drop_caches()
            ours = timed(["head", "-c1", mount.path(name + ".jpg")])
        finally:
            mount.stop()
            shutil.rmtree(mount.cache, ignore_errors=True)
        return ours / curl

    def startup(self):
        """Seconds from `wxmediafs mount` to its ready line, page cache dropped, on a cache of many items."""
        count = self.o.startup_items
        with open(self.binary, "rb") as f:
            key = hashlib.sha256(f.read(1 << 20) + str(os.path.getsize(self.binary)).encode()).hexdigest()[:12]
        cache = os.path.join(self.o.data, f"startup-{count}-1to20K-{key}")
        # The row: items of 1–20 KiB, as many of each size.
        sizes = [(count * (k + 1) // 20 - count * k // 20, k + 1) for k in range(20)]
        spec = [a for n, kib in sizes if n for a in ("--generate", f"{n}*image:{kib}K")]
        sim = Sim(self.binary, self.work, spec)
        try:
            if not os.path.exists(cache + ".done"):
                shutil.rmtree(cache, ignore_errors=True)
                log(f"filling a cache with {count:,} items (once per binary)…")
                ids = [f"{item['id']}.{item['ext']}" for item in sim.items() if item.get("kind") == "image"]
                mount, _ = wxmediafs_mount(self.binary, sim.url, self.work, cache=cache)
                try:
                    parallel_cat([mount.path(i) for i in ids])
                finally:
                    mount.stop()
                open(cache + ".done", "w").close()
            times = []
            for rep in range(self.o.reps):
                drop_caches()
                mount, ready = wxmediafs_mount(self.binary, sim.url, self.work, cache=cache)
                mount.stop()
                times.append(ready)
                log(f"startup rep {rep + 1}: ready in {ready:.2f} s with {count:,} cached items")
        finally:
            sim.stop()
        self.bench.row(f"mount ready with {count:,} cached items (page cache dropped)", "—", "≤ 1 s at 100,000", times,
                       "seconds from the command to its ready line", unit=" s")
        total = sum(n * kib * 1024 for n, kib in sizes)
        disk = du_bytes(os.path.join(cache, "v2") if os.path.isdir(os.path.join(cache, "v2")) else cache) / total
        self.bench.row(f"cache on disk, {count:,} items of 1–20 KiB", "the items' bytes", "≤ 1.15×", [disk], "`du` of the cache's files ÷ the bytes")


class _Server:
    """What `Mount("rclone", …)` needs of a server: its URL (nginx's, whose /files/ lists the items)."""

    def __init__(self, url):
        self.url = url


def du_bytes(path):
    return int(subprocess.run(["du", "-s", "-B1", path], capture_output=True, text=True, check=True).stdout.split()[0])
