"""The fleet rows of scripts/bench (issue #22, `--only fleet`): hosts sharing one store (SeaweedFS, started by
scripts/seaweedfs on loopback), WeChat played by nginx as in the small rows (bench_small.py), 1,000 items of
5–300 KB read by 8 parallel `cat`s per host.

- host B's cold read of what host A fetched (from the store, back-filled into B's cache) against host A's cold
  read from WeChat, and against curl (`--aws-sigv4`, 8 in parallel) of the same objects from the store;
- 4 hosts reading 1,000 new items at the same moment: media/get calls per item (the leases) and the wall time,
  against one host alone;
- host B's peak RSS;
- ffprobe of a moov-at-end MP4 (the bench's video, 256 MiB: written to the store in parts) through host B's mount
  from the store, after host A read it whole from WeChat (the simulator): the share of the file B read from the store
  and from WeChat, and its time against the same ffprobe through a mount without the tier, cold from WeChat.
"""
import json, os, statistics, subprocess, time

from bench_common import APPID, VIDEO_ID, Sim, drop_caches, log, timed, wait_for
from bench_small import Nginx, floor_read, parallel_cat, wxmediafs_mount
from bench_small import SmallRows

SCRIPTS = os.path.dirname(os.path.abspath(__file__))


class Store:
    def __init__(self, work, name="seaweedfs"):
        self.directory = os.path.join(work, name)  # its own: weed started again on the fleet rows' data wrote nothing
        self.bucket = "fleet"
        self.endpoint = subprocess.run([os.path.join(SCRIPTS, "seaweedfs"), "start", self.directory, self.bucket],
                                       check=True, capture_output=True, text=True).stdout.strip()
        self.credentials = os.path.join(self.directory, "credentials")
        fields = dict(line.split(" = ", 1) for line in open(self.credentials).read().splitlines() if " = " in line)
        self.key, self.secret = fields["aws_access_key_id"], fields["aws_secret_access_key"]

    def flags(self, prefix):
        return ["--shared-cache", f"s3://{self.bucket}/{prefix}", "--s3-endpoint", self.endpoint, "--s3-path-style", "true",
                "--s3-credentials-file", self.credentials]

    def stop(self):
        subprocess.run([os.path.join(SCRIPTS, "seaweedfs"), "stop", self.directory], check=False)

    def read_back(self):
        """The store's files read back into the page cache after a drop, as the simulator's are (bench_common's
        drop_caches): the rows measure the readers, not this VM's disk under the store."""
        for root, _, files in os.walk(os.path.join(self.directory, "data")):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    while f.read(1 << 20):
                        pass


def stats(mount):
    with open(os.path.join(mount.point, ".wxmediafs", "stats")) as f:
        return json.load(f)


def peak_rss_mib(process):
    with open(f"/proc/{process.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class FleetRows:
    def __init__(self, bench):
        self.bench, self.o, self.binary, self.work = bench, bench.o, bench.binary, bench.work

    def run(self):
        items, names, sizes = SmallRows(self.bench).make_items()
        count = len(names)
        nginx, store = Nginx(self.work, items), Store(self.work)
        b_vs_a, b_vs_curl, calls_b, four_calls, four_vs_one, rss, tier_cost = [], [], [], [], [], [], []
        b_vs_floor, floor_vs_curl = [], []
        floor = self.bench.c_program("fuse-http-floor", ("fuse3", "libcurl"))
        try:
            curl_config = os.path.join(self.work, "fleet-curl.cfg")
            for rep in range(self.o.reps):
                prefix = f"rep{rep}"
                with open(curl_config, "w") as f:  # the store's key in the config file, not in argv
                    f.write(f'user = "{store.key}:{store.secret}"\naws-sigv4 = "aws:amz:us-east-1:s3"\n')
                    for name in names:
                        f.write(f'url = "{store.endpoint}/{store.bucket}/{prefix}/items/{APPID}/{name}"\noutput = "/dev/null"\n')
                drop_caches()
                parallel_cat([os.path.join(items, n + ".jpg") for n in names])  # the server's files in memory
                a, _ = wxmediafs_mount(self.binary, nginx.url, self.work, extra=store.flags(prefix))
                try:
                    t_a = parallel_cat([a.path(n + ".jpg") for n in names])
                    wait_for(lambda: stats(a).get("shared", {}).get("objectsWritten", 0) + stats(a).get("shared", {}).get("objectsExisting", 0) >= count,
                             timeout=120, what="host A's objects in the store")
                finally:
                    a.stop()
                before = nginx.media_get_calls()
                b, _ = wxmediafs_mount(self.binary, nginx.url, self.work, extra=store.flags(prefix))
                try:
                    t_b = parallel_cat([b.path(n + ".jpg") for n in names])
                    calls_b.append((nginx.media_get_calls() - before) / count)
                    rss.append(peak_rss_mib(b.process))
                finally:
                    b.stop()
                t_curl = timed(["curl", "-sf", "--no-progress-meter", "-Z", "--parallel-max", "8", "-K", curl_config])
                t_floor = self.floor_time(floor, store, prefix, names)
                b_vs_a.append(t_a / t_b)
                b_vs_curl.append(t_curl / t_b)
                b_vs_floor.append(t_floor / t_b)
                floor_vs_curl.append(t_curl / t_floor)
                # 4 hosts, 1,000 items new to the store (another prefix), all at once; then one host alone on another.
                hosts = [wxmediafs_mount(self.binary, nginx.url, self.work, extra=store.flags(prefix + "-four"))[0] for _ in range(4)]
                before = nginx.media_get_calls()
                try:
                    start = time.perf_counter()
                    readers = [subprocess.Popen(["xargs", "-0", "-P", "8", "-n", "8", "cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                               for _ in hosts]
                    for host, reader in zip(hosts, readers):
                        reader.stdin.write(b"\0".join(host.path(n + ".jpg").encode() for n in names))
                        reader.stdin.close()
                    for reader in readers:
                        reader.wait()
                    t_four = time.perf_counter() - start
                    four_calls.append((nginx.media_get_calls() - before) / count)
                finally:
                    for host in hosts:
                        host.stop()
                alone, _ = wxmediafs_mount(self.binary, nginx.url, self.work, extra=store.flags(prefix + "-alone"))
                try:
                    t_alone = parallel_cat([alone.path(n + ".jpg") for n in names])
                finally:
                    alone.stop()
                four_vs_one.append(t_alone / t_four)
                # The same cold read with no shared tier: what the store's calls cost a first fetch.
                plain, _ = wxmediafs_mount(self.binary, nginx.url, self.work)
                try:
                    t_plain = parallel_cat([plain.path(n + ".jpg") for n in names])
                finally:
                    plain.stop()
                tier_cost.append(t_plain / t_a)
                log(f"fleet rep {rep + 1}: host A (WeChat) {t_a:.3f} s, host B (store) {t_b:.3f} s, curl of the objects {t_curl:.3f} s, "
                    f"the FUSE floor on the store {t_floor:.3f} s; "
                    f"4 hosts at once {t_four:.3f} s ({four_calls[-1]:.2f} media/get per item), one host alone {t_alone:.3f} s, no tier {t_plain:.3f} s; "
                    f"B's peak RSS {rss[-1]:.1f} MiB")
        finally:
            nginx.stop()
            store.stop()
        label = f"{count:,} items of 5–300 KB, 8 readers"
        row = self.bench.row
        row(f"fleet, host B's cold read of what host A fetched: {label}", "host A's cold read from WeChat (nginx), same mount settings", "> 1×",
            b_vs_a, "ratio = A's time ÷ B's (> 1: B is faster)")
        row("fleet, host B's cold read vs curl of the objects", "`curl -Z --parallel-max 8 --aws-sigv4` of the same objects from SeaweedFS", "—",
            b_vs_curl, "ratio = curl's time ÷ B's")
        row("fleet, host B's cold read vs the FUSE floor on the store", "`scripts/fuse-http-floor.c` with `STORE_USER`: one signed GET per "
            "object at its lookup, into memory, nothing else", "—", b_vs_floor, "ratio = the floor's time ÷ B's")
        row("fleet, the FUSE floor on the store vs curl of the objects", "the same curl", "—", floor_vs_curl,
            "ratio = curl's time ÷ the floor's: what FUSE itself costs these reads")
        row("fleet, host A's cold read with the tier vs without", "the same mount with no shared_cache, cold from WeChat", "—", tier_cost,
            "ratio = without ÷ with (< 1: the store's calls cost the first fetch)")
        row("fleet, host B's media/get calls per item", "items", "0", calls_b, "counted in nginx's access log")
        row(f"fleet, 4 hosts reading the same {count:,} new items at once: media/get calls per item", "items", "1.00", four_calls, "the leases")
        row("fleet, 4 hosts at once vs one host alone (wall time)", "one host reading the same number of new items", "—", four_vs_one,
            "ratio = alone ÷ four (< 1: four hosts take longer)")
        row("fleet, host B's peak RSS", "—", "—", rss, "MiB (VmHWM)", unit=" MiB")

    def floor_time(self, program, store, prefix, names):
        """A read of every object through `scripts/fuse-http-floor.c` on the store (the key in its environment)."""
        base = f"{store.endpoint}/{store.bucket}/{prefix}/items/{APPID}"
        return floor_read(program, self.work, base, {"STORE_USER": f"{store.key}:{store.secret}"}, names)

    def probe(self, video):
        """ffprobe through the store: host A reads the video whole from WeChat (so it lands in the store, in parts when
        it is over the staging bound), then host B, on a cache of its own, runs ffprobe on it; against ffprobe through
        a mount without the tier, cold from WeChat. Each cold read starts from a dropped page cache, the servers'
        files read back."""
        size = os.path.getsize(video)
        name = VIDEO_ID + ".mp4"
        probe = ["ffprobe", "-v", "error", "-show_format", "-show_streams"]
        sim = Sim(self.binary, self.work, ["--media", os.path.join(self.o.data, "media")])
        store = Store(self.work, "seaweedfs-probe")
        ratios, from_store, from_wechat, writing = [], [], [], []

        def cold(command, extra=(), after=None):
            """`command` on the video through a new mount, timed from a dropped page cache (the servers' files read
            back, ffprobe's libraries in memory); `after(mount)`'s answer before the mount stops."""
            mount, _ = wxmediafs_mount(self.binary, sim.url, self.work, extra=extra)
            try:
                drop_caches(video)
                store.read_back()
                subprocess.run(["ffprobe", "-version"], stdout=subprocess.DEVNULL, check=True)
                sim.reset()
                took = timed(command + [mount.path(name)])
                return took, after(mount) if after else None
            finally:
                mount.stop()

        def landed(a):
            try:
                wait_for(lambda: stats(a).get("shared", {}).get("objectsWritten", 0) >= 1, timeout=180, what="host A's video in the store")
            except RuntimeError:
                log(f"host A's shared tier: {stats(a).get('shared')}")
                raise

        def fetched(b):
            time.sleep(0.5)  # read-ahead still landing counts too
            return 100 * stats(b).get("shared", {}).get("bytesRead", 0) / size, 100 * sim.bytes("media/get", "cdn") / size

        try:
            for rep in range(self.o.reps):
                flags = store.flags(f"probe{rep}")
                t_plain, _ = cold(["cat"])
                t_a, _ = cold(["cat"], flags, landed)  # written to the store in parts meanwhile
                t_wechat, _ = cold(probe)
                t_store, (share, wechat) = cold(probe, flags, fetched)
                from_store.append(share)
                from_wechat.append(wechat)
                ratios.append(t_wechat / t_store)
                writing.append(t_plain / t_a)
                log(f"fleet ffprobe rep {rep + 1}: through the store {t_store:.3f} s ({from_store[-1]:.2f}% from the store, "
                    f"{from_wechat[-1]:.2f}% from WeChat), without the tier {t_wechat:.3f} s; host A's cat {t_a:.3f} s, without the tier {t_plain:.3f} s")
        finally:
            sim.stop()
            store.stop()
        mib = size / (1 << 20)
        row = self.bench.row
        row(f"fleet, `ffprobe` through the store, {mib:.0f} MiB MP4 with the moov at the end: share of the file read from the store",
            "—", "≤ 2%", from_store, f"from WeChat meanwhile: {statistics.median(from_wechat):.2f}% (the simulator's counters)", unit="%")
        row("fleet, `ffprobe` through the store vs cold from WeChat (time ratio)", "the same ffprobe through a mount without the tier", "—",
            ratios, "ratio = WeChat's time ÷ the store's")
        row(f"fleet, host A's cold `cat` of the {mib:.0f} MiB MP4 while it is written to the store in parts, vs without the tier",
            "the same cat through a mount without the tier", "—", writing, "ratio = without ÷ with (< 1: writing the parts costs the reader)")
