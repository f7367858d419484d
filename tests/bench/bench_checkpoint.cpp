// strata-bench checkpoint: saves and restores a checkpoint of 100 million float parameters in a
// project file, beside writing and reading the same bytes to a plain file. Target: at most 2x the
// plain file both ways. Two durability levels are compared like with like:
//   save_s        commit with synchronous=NORMAL (in the log; survives a crash of the program)
//                 vs plain_write_s (write + close, what np.save / torch.save do)
//   save_fsync_s  commit with synchronous=FULL (the log fsync'd; survives a power cut)
//                 vs plain_write_fsync_s (write + fsync + close)
//   log_copy_s    the background copy of the log into the file after a save (off the save's path)
//   restore_s     every variable read back, crc32c checked, vs plain_read_s
//
//   strata-bench checkpoint [--params N] [--variables K] [--dir D] [--repeat R]
//
// The project stores tensors as blobs in 16 MiB pieces (bound with sqlite3_bind_blob64, no copy
// at bind) and reads them with incremental blob I/O straight into the tensor; pages are 64 KiB.
// Both ways read a file that is hot in the page cache.
// Compiled only when linked with strata_storage (which defines STRATA_HAS_STORAGE).
#ifdef STRATA_HAS_STORAGE

#include "BenchRegistry.h"

#include "engine/Tensor.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/Schema.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace strata::bench {

namespace {

namespace fs = std::filesystem;

std::string key(std::size_t i) { return "model/dense_" + std::to_string(i) + "/kernel/.ATTRIBUTES/VARIABLE_VALUE"; }

void writeAll(int fd, const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n) {
        const ssize_t w = ::write(fd, p, std::min<std::size_t>(n, std::size_t(1) << 30));
        if (w <= 0) throw std::runtime_error("write failed");
        p += w, n -= std::size_t(w);
    }
}

void readAll(int fd, void* data, std::size_t n) {
    char* p = static_cast<char*>(data);
    while (n) {
        const ssize_t r = ::read(fd, p, std::min<std::size_t>(n, std::size_t(1) << 30));
        if (r <= 0) throw std::runtime_error("read failed");
        p += r, n -= std::size_t(r);
    }
}

void removeProject(const fs::path& f) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(f.string() + suffix);
}

int runCheckpointBench(const std::vector<std::string>& args) {
    const int64_t params = std::stoll(argValue(args, "--params", "100000000"));
    const int64_t count = std::max<int64_t>(1, std::stoll(argValue(args, "--variables", "10")));
    const int repeats = std::max(1, std::stoi(argValue(args, "--repeat", "3")));
    const fs::path dir = argValue(args, "--dir", fs::temp_directory_path().string());
    const fs::path plain = dir / "strata-bench-checkpoint.bin", projectFile = dir / "strata-bench-checkpoint.strata";

    std::vector<Tensor> tensors;
    uint32_t state = 2463534242u;
    for (int64_t i = 0; i < count; ++i) {
        Tensor t(Shape{params / count + (i == count - 1 ? params % count : 0)});
        for (float& v : t.values()) { // xorshift32: incompressible values
            state ^= state << 13, state ^= state >> 17, state ^= state << 5;
            v = float(state) * 2.3283064e-10f - 0.5f;
        }
        tensors.push_back(std::move(t));
    }
    const int64_t bytes = params * 4;

    std::vector<double> plainWrite, plainWriteSync, plainRead, save, saveSync, logCopy, restore;
    int64_t projectBytes = 0;
    ModelSpec spec = ModelSpec::parse(R"({"format": "strata.model/1", "name": "bench", "layers": [
        {"name": "x", "type": "Input", "config": {"shape": [1]}}, {"name": "d", "type": "Dense", "config": {"units": 1}}]})");
    for (int r = 0; r < repeats; ++r) {
        for (bool sync : {false, true}) {
            fs::remove(plain);
            const double t0 = nowSeconds();
            const int fd = ::open(plain.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            for (const Tensor& t : tensors) writeAll(fd, t.bytes(), t.byteSize());
            if (sync) ::fsync(fd);
            ::close(fd);
            (sync ? plainWriteSync : plainWrite).push_back(nowSeconds() - t0);
        }
        double t0 = nowSeconds();
        const int fd = ::open(plain.c_str(), O_RDONLY | O_CLOEXEC);
        bool same = true;
        for (const Tensor& t : tensors) {
            Tensor back(t.shape());
            readAll(fd, back.bytes(), back.byteSize());
            same = same && back.bytes()[7] == t.bytes()[7];
        }
        ::close(fd);
        plainRead.push_back(nowSeconds() - t0);

        removeProject(projectFile);
        storage::Project project = storage::Project::open(projectFile, storage::OpenMode::Create);
        const int64_t versionId = project.saveVersion("bench", spec).id;
        auto saveOnce = [&] {
            storage::CheckpointWriter w(project, {versionId, std::nullopt, 0, 0, 0});
            for (std::size_t i = 0; i < tensors.size(); ++i) w.add(key(i), tensors[i]);
            return w.commit();
        };
        t0 = nowSeconds();
        const int64_t id = saveOnce(); // synchronous=NORMAL: committed to the log
        save.push_back(nowSeconds() - t0);
        t0 = nowSeconds();
        project.waitForLogCopy(); // the background copy of the log into the file
        logCopy.push_back(nowSeconds() - t0);

        t0 = nowSeconds();
        storage::CheckpointReader reader(project, id);
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            const Tensor back = reader.read(*reader.find(key(i))); // crc32c checked
            same = same && std::memcmp(back.bytes(), tensors[i].bytes(), 64) == 0;
        }
        restore.push_back(nowSeconds() - t0);
        if (!same) {
            std::cerr << "strata-bench checkpoint: the bytes read back differ\n";
            return 1;
        }

        project.database().exec("PRAGMA synchronous = FULL"); // the log fsync'd at commit, like fsync on the plain file
        t0 = nowSeconds();
        saveOnce();
        saveSync.push_back(nowSeconds() - t0);
        project.waitForLogCopy();
        projectBytes = int64_t(fs::file_size(projectFile));
    }
    removeProject(projectFile);
    fs::remove(plain);

    const double pw = median(plainWrite), pws = median(plainWriteSync), pr = median(plainRead), sv = median(save),
                 svs = median(saveSync), rs = median(restore);
    std::cout << nlohmann::json{{"bench", "checkpoint"},
                                {"params", params},
                                {"variables", count},
                                {"bytes", bytes},
                                {"repeats", repeats},
                                {"plain_write_s", pw},
                                {"plain_write_fsync_s", pws},
                                {"plain_read_s", pr},
                                {"save_s", sv},
                                {"save_fsync_s", svs},
                                {"log_copy_s", median(logCopy)},
                                {"restore_s", rs},
                                {"save_ratio", sv / pw},
                                {"save_fsync_ratio", svs / pws},
                                {"restore_ratio", rs / pr},
                                {"project_bytes", projectBytes},
                                {"page_size", storage::kPageSize},
                                {"chunk_bytes", storage::kChunkBytes},
                                {"peak_rss_bytes", peakRssBytes()}}
                     .dump()
              << std::endl;
    return 0;
}

const Register reg("checkpoint", "save/restore a 100M-parameter checkpoint in a project vs the same bytes in a plain file",
                   runCheckpointBench);

} // namespace

} // namespace strata::bench

#endif // STRATA_HAS_STORAGE
