#!/usr/bin/env python3
"""scripts/bench's engine: every row of issue #7's table, measured as a ratio against its reference.

Each row runs its readers in turn (A B A B …) for --reps repetitions and reports the median ratio and its
spread (min–max): on a shared, noisy machine an absolute number alone means nothing. Cold runs start from a
fresh mount and cache directory with the page cache dropped (echo 3 > /proc/sys/vm/drop_caches), then the file the
simulator serves read back into it: the server's disk is not the reader's (see drop_caches). The server
is `wxmediafs sim` over loopback for every reader: wxmediafs reads through media/get and the CDN route, curl
reads the same video_url, httpdirfs and rclone read the same bytes through the simulator's HTML listing
(/files/). Byte counts come from the simulator's own counters (/__sim/stats).
"""
import argparse, os, random, shutil, statistics, subprocess, tempfile, time

from bench_common import VIDEO_ID, Mount, Sim, drop_caches, log, set_read_ahead, stop_process, timed, unmount, wait_for
from bench_small import SmallRows
from bench_fleet import FleetRows


def summary(ratios):
    return statistics.median(ratios), min(ratios), max(ratios)


class Bench:
    def __init__(self, options):
        self.o = options
        self.binary = options.binary
        self.work = tempfile.mkdtemp(prefix="wxmediafs-bench-")
        self.rows = []

    def row(self, name, reference, target, ratios, detail, unit="×"):
        median, low, high = summary(ratios)
        self.rows.append((name, reference, target, f"**{median:.2f}{unit}**", f"{low:.2f}–{high:.2f}", detail))
        log(f"  {name}: {median:.2f}{unit} ({low:.2f}–{high:.2f}) {detail}")

    def make_video(self):
        """A real MP4 (MPEG-4 Part 2 of random frames) with its moov at the end, as ffmpeg writes by default."""
        directory = os.path.join(self.o.data, "media", "video")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, VIDEO_ID + ".mp4")
        frames = max(4, self.o.video_mib * 1024 * 1024 // 545_000)
        marker = os.path.join(self.o.data, f"made-{frames}-frames")  # holds the size of the file it made
        made = open(marker).read().strip() if os.path.exists(marker) else ""
        if not os.path.exists(path) or made != str(os.path.getsize(path)):  # another size's run made it since
            log(f"making a {self.o.video_mib} MiB MP4 ({frames} frames)…")
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "640x480", "-r", "25",
                            "-i", "/dev/urandom", "-frames:v", str(frames), "-c:v", "mpeg4", "-q:v", "2", path], check=True)
            with open(marker, "w") as f:
                f.write(f"{os.path.getsize(path)}\n")
        with open(path, "rb") as f:
            f.seek(-min(os.path.getsize(path), 64 << 20), 2)
            tail = f.read()
        assert b"moov" in tail, "the MP4's moov should be at the end"
        return path

    # rows 1, 4 and 7: cold sequential reads and time to first byte
    def cold(self, sim, video):
        size = os.path.getsize(video)
        name = VIDEO_ID + ".mp4"
        url = sim.video_url(VIDEO_ID)
        vs_curl, vs_httpdirfs, vs_rclone, ttfb = [], [], [], []
        times = {"curl": [], "wxmediafs": [], "httpdirfs": [], "rclone": []}
        for rep in range(self.o.reps):
            drop_caches(video)
            times["curl"].append(timed(["curl", "-sf", "-o", "/dev/null", url]))
            for kind in ("wxmediafs", "httpdirfs", "rclone"):
                mount = Mount(kind, self.binary, sim, self.work)
                try:
                    drop_caches(video)
                    times[kind].append(timed(["cat", mount.path(name)]))
                finally:
                    mount.stop()
            vs_curl.append(times["curl"][-1] / times["wxmediafs"][-1])
            vs_httpdirfs.append(times["httpdirfs"][-1] / times["wxmediafs"][-1])
            vs_rclone.append(times["rclone"][-1] / times["wxmediafs"][-1])
            # time to first byte of a cold item: head -c1 through a fresh mount vs curl of one byte, both as commands
            drop_caches(video)
            curl_first = timed(["curl", "-sf", "-r", "0-0", "-o", "/dev/null", url])
            mount = Mount("wxmediafs", self.binary, sim, self.work)
            try:
                drop_caches(video)
                ours = timed(["head", "-c1", mount.path(name)])
            finally:
                mount.stop()
            ttfb.append(ours / curl_first)
            log(f"cold rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()) + f", first byte {ours * 1000:.1f} ms vs curl {curl_first * 1000:.1f} ms")
        mib = size / (1 << 20)
        median = {k: statistics.median(v) for k, v in times.items()}
        self.row(f"cold sequential read, {mib:.0f} MiB video", "`curl -o /dev/null` of the same video_url", "≥ 0.85×", vs_curl,
                 f"curl {mib / median['curl']:.0f} MiB/s, wxmediafs {mib / median['wxmediafs']:.0f} MiB/s")
        self.row("cold read vs httpdirfs (time ratio, >1: faster)", "httpdirfs 1.2.5 `--cache`", "> 1", vs_httpdirfs,
                 f"httpdirfs {mib / median['httpdirfs']:.0f} MiB/s")
        self.row("cold read vs rclone (time ratio, >1: faster)", "rclone mount `--vfs-cache-mode full`", "> 1", vs_rclone,
                 f"rclone {mib / median['rclone']:.0f} MiB/s")
        self.row("time to first byte, cold item (`head -c1`)", "`curl -r 0-0` of the video_url (both timed as commands)", "≤ 1.2×", ttfb,
                 "ratio = ours ÷ curl's; lower is better")

    # row 5: ffprobe of a cold MP4 with the moov at the end
    def ffprobe(self, sim, video):
        size = os.path.getsize(video)
        name = VIDEO_ID + ".mp4"
        ratios = {"httpdirfs": [], "rclone": []}
        fetched = {"wxmediafs": [], "httpdirfs": [], "rclone": []}
        for rep in range(self.o.reps):
            took = {}
            for kind in ("wxmediafs", "httpdirfs", "rclone"):
                mount = Mount(kind, self.binary, sim, self.work)
                try:
                    drop_caches(video)
                    # ffprobe's own libraries back in memory: from a dropped page cache, loading them took 0.2 s
                    # of the 0.25 s a run took, for every reader alike (a local file: 0.22 s, then 0.04 s hot).
                    subprocess.run(["ffprobe", "-version"], stdout=subprocess.DEVNULL, check=True)
                    sim.reset()
                    took[kind] = timed(["ffprobe", "-v", "error", "-show_format", "-show_streams", mount.path(name)])
                    time.sleep(0.5)  # read-ahead still landing counts too
                    endpoints = ("media/get", "cdn") if kind == "wxmediafs" else ("files",)
                    fetched[kind].append(100 * sim.bytes(*endpoints) / size)
                finally:
                    mount.stop()
            for kind in ratios:
                ratios[kind].append(took[kind] / took["wxmediafs"])
            log(f"ffprobe rep {rep + 1}: " + ", ".join(f"{k} {v:.3f} s ({fetched[k][-1]:.1f}%)" for k, v in took.items()))
        share = {k: statistics.median(v) for k, v in fetched.items()}
        detail = f"fetched: wxmediafs {share['wxmediafs']:.2f}%, httpdirfs {share['httpdirfs']:.2f}%, rclone {share['rclone']:.2f}% of the file"
        self.row("`ffprobe` cold MP4, moov at the end, vs httpdirfs (time ratio)", "httpdirfs", "> 1, fetching ≤ 2%", ratios["httpdirfs"], detail)
        self.row("`ffprobe` cold MP4, moov at the end, vs rclone (time ratio)", "rclone", "> 1, fetching ≤ 2%", ratios["rclone"], detail)

    def local_copy(self, video):
        """The video as a plain local file, the reference of the warm and hot rows (copied once per run)."""
        local = os.path.join(self.work, "local.mp4")
        if not os.path.exists(local):
            shutil.copyfile(video, local)
        return local

    def local_names(self, names, prefix):
        """A local directory of 1 KiB files with these names, the reference of the `stat` rows."""
        directory = tempfile.mkdtemp(dir=self.work, prefix=prefix)
        for name in names:
            with open(os.path.join(directory, name), "wb") as f:
                f.write(b"x" * 1024)
        return directory

    # rows 2 and 3: warm and hot reads against a local file
    def local_reads(self, sim, video):
        name = VIDEO_ID + ".mp4"
        local = self.local_copy(video)
        cache = tempfile.mkdtemp(dir=self.work, prefix="warm-cache-")
        mount = Mount("wxmediafs", self.binary, sim, self.work, cache=cache)
        timed(["cat", mount.path(name)])  # fills the block cache
        mount.stop()
        warm, hot, random_reads = [], [], []
        for rep in range(self.o.reps):
            mount = Mount("wxmediafs", self.binary, sim, self.work, cache=cache)
            try:
                sim.reset()
                drop_caches()
                local_warm = timed(["cat", local])
                drop_caches()
                ours_warm = timed(["cat", mount.path(name)])
                warm.append(local_warm / ours_warm)
                assert sim.calls("media/get", "cdn") <= 1, "a warm read must come from the block cache"
                timed(["cat", local]), timed(["cat", mount.path(name)])  # both hot now
                local_hot, ours_hot = timed(["cat", local]), timed(["cat", mount.path(name)])
                hot.append(local_hot / ours_hot)
                local_ops, ours_ops = self.preads(local), self.preads(mount.path(name))
                random_reads.append(ours_ops / local_ops)
                log(f"local rep {rep + 1}: warm {local_warm:.3f}/{ours_warm:.3f} s, hot {local_hot:.3f}/{ours_hot:.3f} s, "
                    f"pread {local_ops:,.0f}/{ours_ops:,.0f} per s (local/ours)")
            finally:
                mount.stop()
        self.row("warm read (block cache, page cache dropped)", "local file, page cache dropped", "≥ 0.9×", warm, "ratio = local time ÷ ours")
        self.row("hot sequential read", "local file, hot", "≥ 0.95×", hot, "")
        self.row("hot random 4 KiB `pread`", "local file, hot", "≥ 0.95×", random_reads, f"{self.o.preads:,} preads at seeded random offsets")

    def preads(self, path):
        size = os.path.getsize(path)
        generator = random.Random(7)
        offsets = [generator.randrange(0, size - 4096) & ~4095 for _ in range(self.o.preads)]
        descriptor = os.open(path, os.O_RDONLY)
        try:
            start = time.perf_counter()
            for offset in offsets:
                os.pread(descriptor, 4096, offset)
            return len(offsets) / (time.perf_counter() - start)
        finally:
            os.close(descriptor)

    # row 6: many readers of one cold item
    def concurrent(self, sim, video):
        size = os.path.getsize(video)
        name = VIDEO_ID + ".mp4"
        amplification, throughput = [], []
        for rep in range(self.o.reps):
            mount = Mount("wxmediafs", self.binary, sim, self.work)
            try:
                drop_caches(video)
                sim.reset()
                start = time.perf_counter()
                readers = [subprocess.Popen(["cat", mount.path(name)], stdout=subprocess.DEVNULL) for _ in range(self.o.readers)]
                assert all(reader.wait() == 0 for reader in readers)
                took = time.perf_counter() - start
                time.sleep(0.3)
                amplification.append(sim.bytes("media/get", "cdn") / size)
                throughput.append(self.o.readers * size / took / (1 << 20))
                log(f"concurrent rep {rep + 1}: {took:.3f} s, upstream {amplification[-1]:.3f}× the size")
            finally:
                mount.stop()
        self.row(f"{self.o.readers} concurrent readers of one cold item", "upstream bytes ÷ size", "≤ 1.02×", amplification,
                 f"aggregate {statistics.median(throughput):,.0f} MiB/s")

    # row 8: peak RSS over a big cold item
    def peak_rss(self):
        sim = Sim(self.binary, self.work, ["--generate", f"video:{self.o.big_mib}M"])
        try:
            item = next(i for i in sim.items() if i["size"] == self.o.big_mib << 20)
            peaks = []
            for _ in range(max(1, min(self.o.reps, 3))):
                mount = Mount("wxmediafs", self.binary, sim, self.work)
                try:
                    drop_caches()
                    timed(["cat", mount.path(item["id"] + "." + item["ext"])])
                    peaks.append(mount.rss_peak_kib() / 1024)
                finally:
                    mount.stop()
            self.row(f"peak RSS reading a {self.o.big_mib} MiB item cold", "VmHWM of the mount", "≤ 64 MiB", peaks, "", unit=" MiB")
        finally:
            sim.stop()

    # row 9: stat of many cached ids after a remount
    def stats_after_remount(self):
        count = self.o.ids
        sim = Sim(self.binary, self.work, ["--generate", f"{count}*image:1K"])
        try:
            names = [i["id"] + "." + i["ext"] for i in sim.items() if i["kind"] == "image" and i["size"] == 1024][:count]
            cache = tempfile.mkdtemp(dir=self.work, prefix="stat-cache-")
            mount = Mount("wxmediafs", self.binary, sim, self.work, cache=cache)
            for name in names:
                with open(mount.path(name), "rb") as f:
                    f.read()
            mount.stop()
            local = self.local_names(names, "stat-local-")
            ratios, calls = [], []
            for rep in range(self.o.reps):
                mount = Mount("wxmediafs", self.binary, sim, self.work, cache=cache)
                try:
                    sim.reset()
                    drop_caches()
                    local_rate = self.stat_rate(local, names)
                    drop_caches()
                    ours_rate = self.stat_rate(mount.prefix, names)
                    calls.append(sim.calls("media/get", "cdn"))
                    ratios.append(ours_rate / local_rate)
                    log(f"stat rep {rep + 1}: local {local_rate:,.0f}/s, ours {ours_rate:,.0f}/s, {calls[-1]} upstream calls")
                finally:
                    mount.stop()
            self.row(f"`stat` of {count:,} cached ids after a remount", "`stat` of local files (ops/s)", "≥ 0.5×, 0 calls", ratios,
                     f"upstream calls: {max(calls)}")
        finally:
            sim.stop()

    # reference rows: the floor, what a libfuse filesystem that does no work reaches (scripts/fuse-floor.c)
    def floor(self, video):
        size = os.path.getsize(video)
        program = self.floor_program()
        local = self.local_copy(video)
        names = [f"floor-{n}" for n in range(self.o.ids)]
        local_names = self.local_names(names, "floor-local-")
        point = tempfile.mkdtemp(dir=self.work, prefix="floor-mnt-")
        process = subprocess.Popen([program, str(size), point])
        warm, hot, random_reads, stats = [], [], [], []
        try:
            wait_for(lambda: os.path.ismount(point), what="the floor filesystem")
            if not set_read_ahead(point, 1024):  # as wxmediafs sets its own (FuseBridge/ReadAhead.swift)
                log("floor: its read-ahead stays at 128 KiB (not found in /proc/self/mountinfo)")
            big = os.path.join(point, "big")
            for rep in range(self.o.reps):
                drop_caches()
                local_warm = timed(["cat", local])
                drop_caches()
                floor_warm = timed(["cat", big])
                timed(["cat", local]), timed(["cat", big])
                local_hot, floor_hot = timed(["cat", local]), timed(["cat", big])
                local_ops, floor_ops = self.preads(local), self.preads(big)
                drop_caches()
                local_rate = self.stat_rate(local_names, names)
                drop_caches()
                floor_rate = self.stat_rate(point, names)
                warm.append(local_warm / floor_warm)
                hot.append(local_hot / floor_hot)
                random_reads.append(floor_ops / local_ops)
                stats.append(floor_rate / local_rate)
                log(f"floor rep {rep + 1}: warm {local_warm:.3f}/{floor_warm:.3f} s, hot {local_hot:.3f}/{floor_hot:.3f} s, "
                    f"pread {local_ops:,.0f}/{floor_ops:,.0f} per s, stat {local_rate:,.0f}/{floor_rate:,.0f} per s (local/floor)")
        finally:
            stop_process(process)
            unmount(point)
        reference = "a libfuse filesystem doing no work (`scripts/fuse-floor.c`)"
        self.row("floor: warm read, page cache dropped (FUSE alone, no disk)", reference, "— (no FUSE filesystem does better)", warm,
                 "ratio = local time ÷ the floor's; compare the warm row")
        self.row("floor: hot sequential read", reference, "—", hot, "compare the hot sequential row")
        self.row("floor: hot random 4 KiB `pread`", reference, "—", random_reads, "compare the hot random `pread` row")
        self.row(f"floor: `stat` of {len(names):,} names", reference, "—", stats, "compare the `stat` row")

    def floor_program(self):
        """scripts/fuse-floor.c, built once per run."""
        return self.c_program("fuse-floor")

    def c_program(self, name, packages=("fuse3",)):
        """scripts/<name>.c against libfuse (and `packages`), built once per run."""
        program = os.path.join(self.work, name)
        if os.path.exists(program):
            return program
        compiler = shutil.which("cc") or shutil.which("clang")  # Swift's toolchain brings clang
        if compiler is None:
            raise RuntimeError(f"the floor rows need a C compiler (cc or clang) to build scripts/{name}.c")
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", *packages], capture_output=True, text=True, check=True).stdout.split()
        scripts = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([compiler, "-O2", "-I", os.path.join(scripts, "..", "Sources", "CFuse"), os.path.join(scripts, name + ".c"), "-o", program] + flags,
                       check=True)
        return program

    @staticmethod
    def stat_rate(directory, names):
        start = time.perf_counter()
        for name in names:
            os.stat(os.path.join(directory, name))
        return len(names) / (time.perf_counter() - start)

    def wanted(self, step):
        return not self.o.only or step in self.o.only

    def run(self):
        try:
            video = self.make_video()
            sim = Sim(self.binary, self.work, ["--media", os.path.join(self.o.data, "media")])
            try:
                for name, step in (("cold", self.cold), ("ffprobe", self.ffprobe), ("local", self.local_reads),
                                   ("concurrent", self.concurrent)):
                    if self.wanted(name):
                        step(sim, video)
            finally:
                sim.stop()
            if self.wanted("rss"):
                self.peak_rss()
            if self.wanted("stats"):
                self.stats_after_remount()
            if self.wanted("floor"):
                self.floor(video)
            if self.wanted("small"):
                SmallRows(self).run()
            if self.wanted("fleet"):
                FleetRows(self).run()
                FleetRows(self).probe(video)
        finally:
            subprocess.run(["sh", "-c", f"for m in {self.work}/*-mnt-*; do fusermount3 -u -z $m 2>/dev/null; done"])
            if os.environ.get("BENCH_KEEP"):
                log(f"kept {self.work} (BENCH_KEEP)")
            else:
                shutil.rmtree(self.work, ignore_errors=True)
            # the rows measured so far, even when a later step failed
            print("| row | reference | target | median | spread (min–max) | notes |")
            print("|---|---|---|---|---|---|")
            for row in self.rows:
                print("| " + " | ".join(row) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True, help="where the generated MP4 is kept between runs")
    parser.add_argument("--quick", action="store_true", help="tiny items, one repetition: a smoke run, no figures")
    parser.add_argument("--reps", type=int)
    parser.add_argument("--only", action="append", choices=["cold", "ffprobe", "local", "concurrent", "rss", "stats", "floor", "small", "fleet"],
                        help="run these rows only (repeatable): cold (curl, httpdirfs, rclone, first byte), ffprobe, "
                             "local (warm, hot, pread), concurrent, rss, stats, floor (a do-nothing libfuse filesystem), "
                             "small (thousands of small items from nginx: cold, warm, hot, floor, first byte, disk; start-up on a big cache), "
                             "fleet (hosts sharing one store: SeaweedFS)")
    options = parser.parse_args()
    quick = options.quick
    options.reps = options.reps or (1 if quick else 5)
    options.video_mib = 8 if quick else 256
    options.big_mib = 16 if quick else 1024
    options.ids = 200 if quick else 10_000
    options.readers = 4 if quick else 32
    options.preads = 2_000 if quick else 100_000
    options.small_items = 200 if quick else 1_000
    options.startup_items = 2_000 if quick else 100_000
    Bench(options).run()


if __name__ == "__main__":
    main()
