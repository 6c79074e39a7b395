"""What scripts/bench's rows share: the simulator, the mounts under test, timing and the page cache."""
import json, os, signal, subprocess, sys, tempfile, time, urllib.request

APPID, SECRET = "wx5e1a0c0ffee00001", "wxmediafs-simulator-secret"  # the simulator's fixed test account
VIDEO_ID = "BenchVideo_moov_at_end_" + "0" * 40 + "1"


def log(message):
    print(message, file=sys.stderr, flush=True)


def drop_caches(server_file=None):
    """Empties the page cache; then reads `server_file` (what the simulator serves) back into it, so that a cold
    row measures the readers and not this VM's disk under the server, which took 0.08 to 0.5 s for the same
    256 MiB from one run to the next (curl of the same URL: 0.15 or 0.4–0.5 s, docs/benchmarks.md)."""
    subprocess.run(["sync"])
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    if server_file:
        with open(server_file, "rb") as f:
            while f.read(1 << 20):
                pass


def timed(arguments, **kwargs):
    start = time.perf_counter()
    subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def set_read_ahead(mountpoint, kilobytes):
    """The read-ahead of a FUSE mount's bdi, found by its device in /proc/self/mountinfo (as wxmediafs finds its own,
    FuseBridge/ReadAhead.swift). Returns whether it was set; a mount left at the kernel's 128 KiB is still measured."""
    target = os.path.realpath(mountpoint)
    try:
        with open("/proc/self/mountinfo") as f:
            device = next((line.split()[2] for line in f if line.split()[4].replace("\\040", " ") == target), None)
        if device is None:
            return False
        with open(f"/sys/class/bdi/{device}/read_ahead_kb", "w") as f:
            f.write(str(kilobytes))
        return True
    except OSError:
        return False


def wait_for(predicate, timeout=30, what="something"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


class Sim:
    def __init__(self, binary, work, flags):
        self.out = open(os.path.join(work, "sim.out"), "w+")
        self.process = subprocess.Popen([binary, "sim", "--port", "0"] + flags, stdout=self.out, stderr=subprocess.DEVNULL)
        wait_for(lambda: open(self.out.name).read().startswith("http"), what="the simulator")
        self.url = open(self.out.name).read().split()[0]

    def get(self, route):
        with urllib.request.urlopen(self.url + route) as answer:
            return json.loads(answer.read())

    def post(self, route, body=b"{}"):
        urllib.request.urlopen(urllib.request.Request(self.url + route, data=body, method="POST")).read()

    def items(self):
        return self.get("/__sim/items")

    def reset(self):
        self.post("/__sim/reset")

    def bytes(self, *endpoints):
        stats = self.get("/__sim/stats")
        return sum(stats.get(e, {}).get("bytes", 0) for e in endpoints)

    def calls(self, *endpoints):
        stats = self.get("/__sim/stats")
        return sum(stats.get(e, {}).get("requests", 0) for e in endpoints)

    def video_url(self, media_id):
        """media/get's video_url, asked with a token obtained in-process (the secret never reaches an argv)."""
        body = json.dumps({"grant_type": "client_credential", "appid": APPID, "secret": SECRET}).encode()
        request = urllib.request.Request(self.url + "/cgi-bin/stable_token", data=body, method="POST")
        token = json.loads(urllib.request.urlopen(request).read())["access_token"]
        answer = urllib.request.urlopen(f"{self.url}/cgi-bin/media/get?access_token={token}&media_id={media_id}").read()
        return json.loads(answer)["video_url"]

    def stop(self):
        self.process.terminate()
        self.process.wait()


class Mount:
    """One of the three filesystems, mounted fresh on its own cache directory."""

    def __init__(self, kind, binary, sim, work, cache=None):
        self.kind, self.work = kind, work
        self.point = tempfile.mkdtemp(dir=work, prefix=kind + "-mnt-")
        self.cache = cache or tempfile.mkdtemp(dir=work, prefix=kind + "-cache-")
        logfile = open(os.path.join(work, kind + ".log"), "a")
        if kind == "wxmediafs":
            environment = dict(os.environ, WECHAT_APPSECRET=SECRET)
            self.process = subprocess.Popen(
                [binary, "mount", self.point, "--api-base", sim.url, "--appid", APPID, "--cache-dir", self.cache,
                 "--cache-size", "16G", "-o", "auto_unmount", "--log-level", "warning"],
                env=environment, stdout=subprocess.PIPE, stderr=logfile, text=True)
            line = self.process.stdout.readline()
            if "mounted on" not in line:
                raise RuntimeError("wxmediafs did not mount: " + line)
        elif kind == "httpdirfs":
            self.process = subprocess.Popen(["httpdirfs", "-f", "--cache", "--cache-location", self.cache, sim.url + "/files/", self.point],
                                            stdout=logfile, stderr=logfile)
        elif kind == "rclone":
            self.process = subprocess.Popen(["rclone", "mount", ":http:", self.point, "--http-url", sim.url + "/files/", "--read-only",
                                             "--vfs-cache-mode", "full", "--cache-dir", self.cache, "--dir-cache-time", "1h"],
                                            stdout=logfile, stderr=logfile)
        wait_for(lambda: os.path.ismount(self.point), what=kind + " to mount")
        self.prefix = os.path.join(self.point, "media") if kind == "wxmediafs" else self.point

    def path(self, name):
        return os.path.join(self.prefix, name)

    def rss_peak_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))

    def stop(self):
        stop_process(self.process)
        unmount(self.point)


def stop_process(process, sig=signal.SIGTERM, timeout=15):
    """Asks a process to end; killed if it has not within `timeout` seconds."""
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def unmount(point):
    """A mount left behind by a process that did not unmount it (lazily: a reader may still hold it)."""
    if os.path.ismount(point):
        subprocess.run(["fusermount3", "-u", "-z", point], stderr=subprocess.DEVNULL)
