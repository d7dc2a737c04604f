// A restricted pickle reader for the data.pkl of torch.save files: it interprets only the opcodes
// that protocol 2-5 pickles of state dicts use, and only a fixed list of globals (OrderedDict,
// torch's tensor/parameter rebuild functions, the typed storage classes, ParameterDict, set), each
// mapped to a built-in handler. Nothing in the file is ever called or imported: any other global is
// refused (FormatError naming it) before the first REDUCE is interpreted.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace inpaint::models {

// One value of an unpickled file. Containers hold their elements by value (a value the pickle
// shares, e.g. a memoized key string, is copied; tensors are handles and share their storage).
struct PickleValue {
    enum class Kind { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Tensor };
    Kind kind = Kind::None;
    bool boolean = false;          // Bool
    int64_t integer = 0;           // Int (pickle ints beyond 64 bits are refused)
    double real = 0;               // Float
    std::string text;              // String (the file's UTF-8 bytes, unchecked), Bytes
    torch::Tensor tensor;          // Tensor (a view of the file's storage record; read-only mapping)
    std::vector<PickleValue> items;  // List / Tuple elements; Dict values (parallel to keys)
    std::vector<PickleValue> keys;   // Dict keys in insertion order (strings or ints in torch files)

    bool isDict() const { return kind == Kind::Dict; }
    bool isTensor() const { return kind == Kind::Tensor; }
    bool isString() const { return kind == Kind::String; }
    // Dict: the value of the string key `key`, or nullptr (also when this is not a dict).
    const PickleValue* find(std::string_view key) const;
    // Dict: the keys rendered as text (an int key as its decimal digits); other kinds: empty.
    std::vector<std::string> keyStrings() const;
    // "dict", "tensor", "int", ... for messages.
    const char* kindName() const;
};

const char* toString(PickleValue::Kind kind);

// Resolves a storage the pickle names with a persistent id ('storage', <type>, key, location,
// numel): returns a 1-D contiguous CPU tensor of `numel` elements of `dtype` (the storage record
// data/<key>), or throws FormatError. Called at most once per key.
using PickleStorageLoader =
    std::function<torch::Tensor(const std::string& key, torch::ScalarType dtype, int64_t numel)>;

struct PickleLimits {
    size_t maxDepth = 100;            // nesting of lists/tuples/dicts in the result
    size_t maxValues = 10'000'000;    // values in the result, and at most 16 per object the pickle
                                      // made (a hostile pickle can share one list many times over:
                                      // each share is a copy)
    int maxTensorDims = 64;
};

// Reads the pickle `bytes` (the whole data.pkl). `file` names the source in messages, e.g.
// "'model.ckpt'". Throws FormatError on anything outside the supported subset: a refused global
// (named), an unknown opcode (named, with its offset), truncation, stack underflow, a memo index
// out of range, a tensor whose offset/size/stride reach outside its storage, too deep nesting.
PickleValue readTorchPickle(std::string_view bytes, const std::string& file, const PickleStorageLoader& storages,
                            const PickleLimits& limits = {});

// The globals the pickle names ("module.name"), in order of appearance, without interpreting it:
// every GLOBAL opcode and every STACK_GLOBAL whose two operands are string literals. Throws
// FormatError on a malformed opcode stream.
std::vector<std::string> torchPickleGlobals(std::string_view bytes, const std::string& file);

// True when "module.name" is one of the globals readTorchPickle() accepts.
bool isAllowedPickleGlobal(const std::string& dottedName);

}  // namespace inpaint::models
