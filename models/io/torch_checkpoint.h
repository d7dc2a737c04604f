// Reader of PyTorch torch.save files (.ckpt / .pt / .pth / .bin in the zip format of torch >= 1.6)
// that executes nothing: the zip's central directory is read here, data.pkl is interpreted by the
// restricted pickle VM of pickle_reader.h (only tensors, dicts, lists, tuples, numbers, strings;
// any other global is refused by name), tensors are zero-copy views into the memory-mapped file.
//
// Layout read: <root>/data.pkl, <root>/data/<key> (one record per storage), optionally
// <root>/version and <root>/byteorder; <root> is any folder name ("archive", the file stem, ...).
// Records must be stored (uncompressed), as torch.save writes them; a deflated record is refused
// with a message saying so. Legacy files (torch < 1.6, not a zip) are refused with a clear message.
#pragma once

#include "models/io/pickle_reader.h"

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace inpaint::models {

// The first four bytes are a zip local header ("PK\3\4"). Cheap; does not validate the archive.
bool looksLikeTorchZip(const std::filesystem::path& path);
// The file starts like a legacy (pre-zip, torch < 1.6) torch.save file: a pickle of torch's magic
// number, or a tar header. readTorchCheckpoint() refuses such files with a message telling how to
// convert them.
bool looksLikeLegacyTorchFile(const std::filesystem::path& path);

struct TorchCheckpoint {
    PickleValue root;                  // the unpickled object (a dict for every real checkpoint)
    std::string rootFolder;            // the zip folder holding data.pkl
    std::vector<std::string> globals;  // the globals data.pkl names ("collections.OrderedDict", ...)
};

// Reads a torch.save zip file. Tensors in the tree are read-only views into the file's mapping,
// which they keep alive (clone() before writing into one). Throws FormatError naming the file and
// the problem: not a zip / truncated zip / legacy format / TorchScript archive / no or several
// data.pkl / compressed or missing storage record / refused global / malformed pickle / a tensor
// outside its storage.
TorchCheckpoint readTorchCheckpoint(const std::filesystem::path& path);
// The same over bytes in memory (a whole file); tensors alias `bytes`, kept alive by them.
// `what` names the source in messages. Used by the fuzzer and by tests.
TorchCheckpoint readTorchCheckpointBytes(std::string bytes, const std::string& what);

// The flat state dict of a checkpoint's root, as diffusers reads .ckpt files: while the dict has
// a "state_dict" entry, descend into it; then every entry whose value is a tensor, by key.
// Non-tensor entries (numbers, strings, nested dicts/lists, None) and non-string keys are left
// out; their keys are appended to `skipped` when given. Throws WeightsError when the root (or a
// "state_dict" entry) is not a dict. `what` names the file in messages.
std::map<std::string, torch::Tensor> torchStateDict(const PickleValue& root, const std::string& what,
                                                    std::vector<std::string>* skipped = nullptr);
// readTorchCheckpoint + torchStateDict.
std::map<std::string, torch::Tensor> loadTorchStateDict(const std::filesystem::path& path,
                                                        std::vector<std::string>* skipped = nullptr);

}  // namespace inpaint::models
