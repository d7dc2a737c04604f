// Restricted pickle VM for torch.save's data.pkl (see pickle_reader.h). Two passes: the lexer reads
// the whole opcode stream (every length checked against the bytes left) and collects the globals
// it names, refusing any that is not on the list; only then are the opcodes interpreted, each
// allowed global by a built-in handler. Intermediate objects live in an arena (the memo and the
// stack hold plain pointers), so shared or cyclic references cannot leak; the result is copied
// into a PickleValue tree with bounded depth and size.
#include "models/io/pickle_reader.h"

#include "models/errors.h"

#include <torch/torch.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

namespace inpaint::models {

namespace {

// ---------------------------------------------------------------------------------------------
// Opcodes

enum Opcode : uint8_t {
    MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', BININT = 'J', BININT1 = 'K',
    BININT2 = 'M', NONE = 'N', BINPERSID = 'Q', REDUCE = 'R', BINSTRING = 'T', SHORT_BINSTRING = 'U',
    BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}',
    APPENDS = 'e', BINGET = 'h', LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', BINPUT = 'q',
    LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
    PROTO = 0x80, NEWOBJ = 0x81, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88,
    NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b, BINBYTES = 'B', SHORT_BINBYTES = 'C',
    SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90,
    FROZENSET = 0x91, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
};

// Every opcode of pickle protocols 0-5, for messages (the unsupported ones are named too).
const char* opcodeName(uint8_t c)
{
    switch (c) {
    case '(': return "MARK";            case '.': return "STOP";            case '0': return "POP";
    case '1': return "POP_MARK";        case '2': return "DUP";             case 'F': return "FLOAT";
    case 'I': return "INT";             case 'J': return "BININT";          case 'K': return "BININT1";
    case 'L': return "LONG";            case 'M': return "BININT2";         case 'N': return "NONE";
    case 'P': return "PERSID";          case 'Q': return "BINPERSID";       case 'R': return "REDUCE";
    case 'S': return "STRING";          case 'T': return "BINSTRING";       case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";         case 'X': return "BINUNICODE";      case 'a': return "APPEND";
    case 'b': return "BUILD";           case 'c': return "GLOBAL";          case 'd': return "DICT";
    case '}': return "EMPTY_DICT";      case 'e': return "APPENDS";         case 'g': return "GET";
    case 'h': return "BINGET";          case 'i': return "INST";            case 'j': return "LONG_BINGET";
    case 'l': return "LIST";            case ']': return "EMPTY_LIST";      case 'o': return "OBJ";
    case 'p': return "PUT";             case 'q': return "BINPUT";          case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";         case 't': return "TUPLE";           case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";        case 'G': return "BINFLOAT";        case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";  case 0x80: return "PROTO";          case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";           case 0x83: return "EXT2";           case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";         case 0x86: return "TUPLE2";         case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";        case 0x89: return "NEWFALSE";       case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";          case 0x8c: return "SHORT_BINUNICODE"; case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";      case 0x8f: return "EMPTY_SET";      case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";      case 0x92: return "NEWOBJ_EX";      case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";        case 0x95: return "FRAME";          case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";    case 0x98: return "READONLY_BUFFER";
    default: return nullptr;
    }
}

std::string hexByte(uint8_t c)
{
    static const char* digits = "0123456789abcdef";
    return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

std::string describeOpcode(uint8_t c)
{
    const char* n = opcodeName(c);
    return n ? std::string(n) + " (" + hexByte(c) + ")" : "byte " + hexByte(c);
}

struct Op {
    uint8_t code = 0;
    size_t pos = 0;
    int64_t i = 0;         // ints, memo indices, protocol, lengths
    double f = 0;
    std::string_view s;    // string / bytes argument; GLOBAL: module
    std::string_view s2;   // GLOBAL: name
};

// ---------------------------------------------------------------------------------------------
// Globals

enum class Global { OrderedDict, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, ParameterDict, Set, Storage };

struct GlobalDesc {
    const char* module;
    const char* name;
    Global kind;
    torch::ScalarType dtype;
};

constexpr GlobalDesc kGlobals[] = {
    {"collections", "OrderedDict", Global::OrderedDict, torch::kFloat},
    {"torch._utils", "_rebuild_tensor_v2", Global::RebuildTensorV2, torch::kFloat},
    {"torch._utils", "_rebuild_parameter", Global::RebuildParameter, torch::kFloat},
    {"torch._utils", "_rebuild_parameter_with_state", Global::RebuildParameterWithState, torch::kFloat},
    {"torch.nn.modules.container", "ParameterDict", Global::ParameterDict, torch::kFloat},
    {"__builtin__", "set", Global::Set, torch::kFloat},  // protocol 2 spelling of builtins.set
    {"builtins", "set", Global::Set, torch::kFloat},
    {"torch", "FloatStorage", Global::Storage, torch::kFloat32},
    {"torch", "HalfStorage", Global::Storage, torch::kFloat16},
    {"torch", "BFloat16Storage", Global::Storage, torch::kBFloat16},
    {"torch", "DoubleStorage", Global::Storage, torch::kFloat64},
    {"torch", "LongStorage", Global::Storage, torch::kInt64},
    {"torch", "IntStorage", Global::Storage, torch::kInt32},
    {"torch", "ShortStorage", Global::Storage, torch::kInt16},
    {"torch", "CharStorage", Global::Storage, torch::kInt8},
    {"torch", "ByteStorage", Global::Storage, torch::kUInt8},
    {"torch", "BoolStorage", Global::Storage, torch::kBool},
};

const GlobalDesc* findGlobal(std::string_view module, std::string_view name)
{
    for (const auto& g : kGlobals)
        if (module == g.module && name == g.name) return &g;
    return nullptr;
}

std::string dotted(std::string_view module, std::string_view name)
{
    return std::string(module) + "." + std::string(name);
}

std::string printable(std::string_view s, size_t max = 80)
{
    std::string out;
    for (const char ch : s.substr(0, max)) {
        const auto c = static_cast<unsigned char>(ch);
        out += (c >= 0x20 && c < 0x7f) ? std::string(1, ch) : "\\x" + hexByte(c).substr(2);
    }
    if (s.size() > max) out += "...";
    return out;
}

[[noreturn]] void refuse(std::string_view module, std::string_view name, const std::string& file, size_t pos)
{
    throw FormatError("Refused global '" + printable(dotted(module, name)) + "' in " + file +
                      ": only tensor data is read from .ckpt files, and nothing in the file is run (pickle offset " +
                      std::to_string(pos) + ").");
}

// ---------------------------------------------------------------------------------------------
// Lexer

class Lexer {
public:
    Lexer(std::string_view b, const std::string& file) : m_b(b), m_file(file) {}

    std::vector<Op> run(std::vector<std::pair<std::string, size_t>>& globals)
    {
        std::vector<Op> ops;
        // Best-effort static view of the strings a STACK_GLOBAL takes: the last two string pushes
        // and the memo slots that hold a string literal.
        std::optional<std::string> last1, last2;
        std::unordered_map<int64_t, std::optional<std::string>> memo;
        auto pushStr = [&](std::optional<std::string> s) {
            last2 = std::move(last1);
            last1 = std::move(s);
        };
        while (true) {
            if (m_p >= m_b.size())
                throw FormatError("The pickle in " + m_file + " is truncated: no STOP opcode before its end (" +
                                  std::to_string(m_b.size()) + " bytes).");
            Op op;
            op.pos = m_p;
            op.code = static_cast<uint8_t>(m_b[m_p++]);
            m_op = op.code;
            m_opPos = op.pos;
            switch (op.code) {
            case PROTO:
                op.i = u(1);
                if (op.i > 5) fail("pickle protocol " + std::to_string(op.i) + " is not supported (at most 5)");
                break;
            case FRAME: op.i = static_cast<int64_t>(u(8) & 0x7fffffffffffffffull); break;
            case BININT: op.i = static_cast<int32_t>(static_cast<uint32_t>(u(4))); break;
            case BININT1: op.i = static_cast<int64_t>(u(1)); break;
            case BININT2: op.i = static_cast<int64_t>(u(2)); break;
            case LONG1: op.i = longArg(u(1)); break;
            case LONG4: op.i = longArg(u(4)); break;
            case BINFLOAT: {
                const uint64_t be = bigEndian64();
                op.f = std::bit_cast<double>(be);
                break;
            }
            case SHORT_BINUNICODE: case SHORT_BINSTRING: case SHORT_BINBYTES: op.s = bytes(u(1)); break;
            case BINUNICODE: case BINBYTES: op.s = bytes(u(4)); break;
            case BINSTRING: {
                const auto n = static_cast<int32_t>(static_cast<uint32_t>(u(4)));
                if (n < 0) fail("negative string length " + std::to_string(n));
                op.s = bytes(static_cast<uint64_t>(n));
                break;
            }
            case BINUNICODE8: case BINBYTES8: op.s = bytes(u(8)); break;
            case BINPUT: case BINGET: op.i = static_cast<int64_t>(u(1)); break;
            case LONG_BINPUT: case LONG_BINGET: op.i = static_cast<int64_t>(u(4)); break;
            case GLOBAL:
                op.s = line();
                op.s2 = line();
                break;
            case MARK: case STOP: case POP: case POP_MARK: case DUP: case NONE: case BINPERSID: case REDUCE:
            case APPEND: case BUILD: case DICT: case EMPTY_DICT: case APPENDS: case LIST: case EMPTY_LIST:
            case SETITEM: case TUPLE: case EMPTY_TUPLE: case SETITEMS: case NEWOBJ: case TUPLE1: case TUPLE2:
            case TUPLE3: case NEWTRUE: case NEWFALSE: case EMPTY_SET: case ADDITEMS: case FROZENSET:
            case STACK_GLOBAL: case MEMOIZE:
                break;
            default:
                throw FormatError("The pickle in " + m_file + " has " +
                                  (opcodeName(op.code) ? "the unsupported opcode " : "an unknown opcode ") +
                                  describeOpcode(op.code) + " at offset " + std::to_string(op.pos) +
                                  ": not a torch state dict pickle.");
            }
            // The static string tracker (for STACK_GLOBAL's operands).
            switch (op.code) {
            case SHORT_BINUNICODE: case BINUNICODE: case BINUNICODE8: pushStr(std::string(op.s)); break;
            case BINGET: case LONG_BINGET: {
                const auto it = memo.find(op.i);
                pushStr(it == memo.end() ? std::nullopt : it->second);
                break;
            }
            case BINPUT: case LONG_BINPUT: memo[op.i] = last1; break;
            case MEMOIZE: memo[static_cast<int64_t>(memo.size())] = last1; break;
            case FRAME: case PROTO: break;
            case GLOBAL:
                globals.emplace_back(dotted(op.s, op.s2), op.pos);
                last1.reset();
                last2.reset();
                break;
            case STACK_GLOBAL:
                if (last1 && last2) globals.emplace_back(dotted(*last2, *last1), op.pos);
                last1.reset();
                last2.reset();
                break;
            default:
                last1.reset();
                last2.reset();
            }
            ops.push_back(op);
            if (op.code == STOP) return ops;
        }
    }

private:
    [[noreturn]] void fail(const std::string& what) const
    {
        throw FormatError("The pickle in " + m_file + " is malformed at offset " + std::to_string(m_opPos) + " (" +
                          describeOpcode(m_op) + "): " + what + ".");
    }
    void need(uint64_t n) const
    {
        if (n > m_b.size() - m_p)
            throw FormatError("The pickle in " + m_file + " is truncated: " + describeOpcode(m_op) + " at offset " +
                              std::to_string(m_opPos) + " needs " + std::to_string(n) + " more bytes, " +
                              std::to_string(m_b.size() - m_p) + " are left.");
    }
    uint64_t u(int n)
    {
        need(static_cast<uint64_t>(n));
        uint64_t v = 0;
        for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(m_b[m_p + static_cast<size_t>(k)]);
        m_p += static_cast<size_t>(n);
        return v;
    }
    uint64_t bigEndian64()
    {
        need(8);
        uint64_t v = 0;
        for (int k = 0; k < 8; ++k) v = (v << 8) | static_cast<uint8_t>(m_b[m_p + static_cast<size_t>(k)]);
        m_p += 8;
        return v;
    }
    std::string_view bytes(uint64_t n)
    {
        need(n);
        const auto s = m_b.substr(m_p, static_cast<size_t>(n));
        m_p += static_cast<size_t>(n);
        return s;
    }
    int64_t longArg(uint64_t n)
    {
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes (more than 64 bits) is not supported");
        need(n);
        uint64_t v = 0;
        for (uint64_t k = n; k > 0; --k) v = (v << 8) | static_cast<uint8_t>(m_b[m_p + k - 1]);
        if (n > 0 && n < 8 && (static_cast<uint8_t>(m_b[m_p + n - 1]) & 0x80)) v |= ~0ull << (8 * n);  // sign
        m_p += static_cast<size_t>(n);
        return static_cast<int64_t>(v);
    }
    std::string_view line()
    {
        const size_t end = m_b.find('\n', m_p);
        if (end == std::string_view::npos || end - m_p > 1024)
            throw FormatError("The pickle in " + m_file + " is truncated or malformed: GLOBAL at offset " +
                              std::to_string(m_opPos) + " has no newline-terminated name.");
        const auto s = m_b.substr(m_p, end - m_p);
        m_p = end + 1;
        return s;
    }

    std::string_view m_b;
    const std::string& m_file;
    size_t m_p = 0;
    uint8_t m_op = 0;
    size_t m_opPos = 0;
};

// ---------------------------------------------------------------------------------------------
// Interpreter

enum class NK { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Tensor, Global, Storage, Object };

struct Node {
    NK k = NK::None;
    bool b = false;
    int64_t i = 0;
    double f = 0;
    std::string s;                      // String/Bytes; Storage: key; Global/Object: dotted name
    torch::Tensor t;                    // Tensor; Storage: the 1-D base tensor
    std::vector<Node*> items, keys;     // List/Tuple; Dict values + keys
    std::unordered_map<std::string, size_t> index;  // Dict: hashable key -> position
    Global g = Global::OrderedDict;     // Global, Object
    torch::ScalarType dtype = torch::kFloat;  // Global (storage types), Storage
};

const char* nodeKindName(const Node* n)
{
    switch (n->k) {
    case NK::None: return "None";
    case NK::Bool: return "bool";
    case NK::Int: return "int";
    case NK::Float: return "float";
    case NK::String: return "str";
    case NK::Bytes: return "bytes";
    case NK::List: return "list";
    case NK::Tuple: return "tuple";
    case NK::Dict: return "dict";
    case NK::Tensor: return "tensor";
    case NK::Global: return "global";
    case NK::Storage: return "storage";
    case NK::Object: return "object";
    }
    return "?";
}

// A key under which Python would consider two dict keys equal (str, int/bool, None), else none.
std::optional<std::string> hashKey(const Node* k)
{
    switch (k->k) {
    case NK::String: return "s" + k->s;
    case NK::Int: return "i" + std::to_string(k->i);
    case NK::Bool: return "i" + std::to_string(k->b ? 1 : 0);
    case NK::None: return std::string("n");
    default: return std::nullopt;
    }
}

size_t elementSize(torch::ScalarType t)
{
    return c10::elementSize(t);
}

class Machine {
public:
    Machine(const std::string& file, const PickleStorageLoader& storages, const PickleLimits& limits)
        : m_file(file), m_storages(storages), m_limits(limits)
    {}

    Node* run(const std::vector<Op>& ops)
    {
        for (const Op& op : ops) {
            m_op = &op;
            step(op);
            if (op.code == STOP) return m_result;
        }
        fail("no STOP opcode");
    }

    size_t nodeCount() const { return m_arena.size(); }

private:
    [[noreturn]] void fail(const std::string& what) const
    {
        const std::string at = m_op ? " at offset " + std::to_string(m_op->pos) + " (" + describeOpcode(m_op->code) + ")" : "";
        throw FormatError("The pickle in " + m_file + " cannot be read" + at + ": " + what + ".");
    }

    Node* make(NK k)
    {
        m_arena.push_back(std::make_unique<Node>());
        m_arena.back()->k = k;
        return m_arena.back().get();
    }
    size_t floor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    Node* pop()
    {
        if (m_stack.size() <= floor()) fail("stack underflow");
        Node* n = m_stack.back();
        m_stack.pop_back();
        return n;
    }
    Node* top()
    {
        if (m_stack.size() <= floor()) fail("stack underflow");
        return m_stack.back();
    }
    void push(Node* n) { m_stack.push_back(n); }
    std::vector<Node*> popMark()
    {
        if (m_marks.empty()) fail("no MARK to pop to");
        const size_t at = m_marks.back();
        m_marks.pop_back();
        std::vector<Node*> items(m_stack.begin() + static_cast<std::ptrdiff_t>(at), m_stack.end());
        m_stack.resize(at);
        return items;
    }
    void setItem(Node* d, Node* k, Node* v)
    {
        if (d->k != NK::Dict) fail(std::string("SETITEM on a ") + nodeKindName(d) + ", not a dict");
        if (const auto h = hashKey(k)) {
            const auto [it, fresh] = d->index.emplace(*h, d->keys.size());
            if (!fresh) {
                d->items[it->second] = v;
                return;
            }
        } else if (k->k != NK::Tuple) {
            fail(std::string("a ") + nodeKindName(k) + " cannot be a dict key");
        }
        d->keys.push_back(k);
        d->items.push_back(v);
    }
    Node* tupleOf(std::vector<Node*> items)
    {
        Node* t = make(NK::Tuple);
        t->items = std::move(items);
        return t;
    }
    Node* global(std::string_view module, std::string_view name)
    {
        const GlobalDesc* d = findGlobal(module, name);
        if (!d) refuse(module, name, m_file, m_op->pos);
        Node* n = make(NK::Global);
        n->g = d->kind;
        n->dtype = d->dtype;
        n->s = dotted(module, name);
        return n;
    }
    int64_t intArg(const Node* n, const char* what)
    {
        if (n->k == NK::Int) return n->i;
        if (n->k == NK::Bool) return n->b ? 1 : 0;
        fail(std::string(what) + " is a " + nodeKindName(n) + ", not an int");
    }

    void step(const Op& op)
    {
        switch (op.code) {
        case PROTO: case FRAME: break;
        case STOP: m_result = pop(); break;
        case MARK: m_marks.push_back(m_stack.size()); break;
        case POP: pop(); break;
        case POP_MARK: popMark(); break;
        case DUP: push(top()); break;
        case NONE: push(make(NK::None)); break;
        case NEWTRUE: case NEWFALSE: {
            Node* n = make(NK::Bool);
            n->b = op.code == NEWTRUE;
            push(n);
            break;
        }
        case BININT: case BININT1: case BININT2: case LONG1: case LONG4: {
            Node* n = make(NK::Int);
            n->i = op.i;
            push(n);
            break;
        }
        case BINFLOAT: {
            Node* n = make(NK::Float);
            n->f = op.f;
            push(n);
            break;
        }
        case SHORT_BINUNICODE: case BINUNICODE: case BINUNICODE8: case SHORT_BINSTRING: case BINSTRING: {
            Node* n = make(NK::String);
            n->s = std::string(op.s);
            push(n);
            break;
        }
        case SHORT_BINBYTES: case BINBYTES: case BINBYTES8: {
            Node* n = make(NK::Bytes);
            n->s = std::string(op.s);
            push(n);
            break;
        }
        case EMPTY_DICT: push(make(NK::Dict)); break;
        case EMPTY_LIST: case EMPTY_SET: push(make(NK::List)); break;
        case EMPTY_TUPLE: push(tupleOf({})); break;
        case TUPLE: push(tupleOf(popMark())); break;
        case TUPLE1: case TUPLE2: case TUPLE3: {
            const size_t n = op.code - TUPLE1 + 1u;
            std::vector<Node*> items(n);
            for (size_t k = n; k > 0; --k) items[k - 1] = pop();
            push(tupleOf(std::move(items)));
            break;
        }
        case LIST: case FROZENSET: {
            Node* l = make(NK::List);
            l->items = popMark();
            push(l);
            break;
        }
        case DICT: {
            auto items = popMark();
            if (items.size() % 2) fail("odd number of items for a dict");
            Node* d = make(NK::Dict);
            for (size_t k = 0; k < items.size(); k += 2) setItem(d, items[k], items[k + 1]);
            push(d);
            break;
        }
        case APPEND: {
            Node* v = pop();
            Node* l = top();
            if (l->k != NK::List) fail(std::string("APPEND to a ") + nodeKindName(l) + ", not a list");
            l->items.push_back(v);
            break;
        }
        case APPENDS: case ADDITEMS: {
            auto items = popMark();
            Node* l = top();
            if (l->k != NK::List) fail(std::string("APPENDS to a ") + nodeKindName(l) + ", not a list");
            l->items.insert(l->items.end(), items.begin(), items.end());
            break;
        }
        case SETITEM: {
            Node* v = pop();
            Node* k = pop();
            setItem(top(), k, v);
            break;
        }
        case SETITEMS: {
            auto items = popMark();
            if (items.size() % 2) fail("odd number of items for SETITEMS");
            Node* d = top();
            for (size_t k = 0; k < items.size(); k += 2) setItem(d, items[k], items[k + 1]);
            break;
        }
        case BINPUT: case LONG_BINPUT: m_memo[op.i] = top(); break;
        case MEMOIZE: m_memo[static_cast<int64_t>(m_memo.size())] = top(); break;
        case BINGET: case LONG_BINGET: {
            const auto it = m_memo.find(op.i);
            if (it == m_memo.end()) fail("memo index " + std::to_string(op.i) + " was never stored");
            push(it->second);
            break;
        }
        case GLOBAL: push(global(op.s, op.s2)); break;
        case STACK_GLOBAL: {
            Node* name = pop();
            Node* module = pop();
            if (module->k != NK::String || name->k != NK::String) fail("STACK_GLOBAL operands are not strings");
            push(global(module->s, name->s));
            break;
        }
        case BINPERSID: push(persistentLoad(pop())); break;
        case REDUCE: {
            Node* args = pop();
            Node* fn = pop();
            push(reduce(fn, args));
            break;
        }
        case NEWOBJ: {
            Node* args = pop();
            Node* cls = pop();
            push(newObject(cls, args));
            break;
        }
        case BUILD: {
            Node* state = pop();
            build(top(), state);
            break;
        }
        default: fail("opcode not handled");
        }
    }

    Node* persistentLoad(Node* pid)
    {
        // ('storage', <storage type>, key, location, numel)
        if (pid->k != NK::Tuple || pid->items.size() != 5 || pid->items[0]->k != NK::String ||
            pid->items[0]->s != "storage")
            fail("a persistent id that is not ('storage', type, key, location, numel)");
        const Node* type = pid->items[1];
        const Node* key = pid->items[2];
        if (type->k != NK::Global || type->g != Global::Storage)
            fail("the storage type of a persistent id is a " + std::string(nodeKindName(type)) +
                 (type->k == NK::Global ? " '" + type->s + "'" : std::string()) + ", not a torch storage class");
        if (key->k != NK::String) fail("a storage key that is not a string");
        if (pid->items[3]->k != NK::String) fail("a storage location that is not a string");
        const int64_t numel = intArg(pid->items[4], "a storage size");
        if (numel < 0) fail("storage '" + printable(key->s) + "' has a negative size " + std::to_string(numel));

        if (const auto it = m_storageNodes.find(key->s); it != m_storageNodes.end()) {
            Node* s = it->second;
            if (s->dtype != type->dtype || s->t.numel() != numel)
                fail("storage '" + printable(key->s) + "' is referenced with two different types or sizes");
            return s;
        }
        Node* s = make(NK::Storage);
        s->s = key->s;
        s->dtype = type->dtype;
        s->t = m_storages(key->s, type->dtype, numel);
        if (!s->t.defined() || s->t.dim() != 1 || s->t.numel() != numel || s->t.scalar_type() != type->dtype)
            fail("storage '" + printable(key->s) + "' could not be loaded");
        m_storageNodes.emplace(key->s, s);
        return s;
    }

    Node* reduce(Node* fn, Node* args)
    {
        if (fn->k != NK::Global) fail(std::string("REDUCE calls a ") + nodeKindName(fn) + ", not an allowed global");
        if (args->k != NK::Tuple) fail("REDUCE arguments are not a tuple");
        const auto& a = args->items;
        switch (fn->g) {
        case Global::OrderedDict: {
            Node* d = make(NK::Dict);
            if (a.empty()) return d;
            if (a.size() == 1 && (a[0]->k == NK::List || a[0]->k == NK::Tuple)) {
                for (Node* p : a[0]->items) {
                    if ((p->k != NK::Tuple && p->k != NK::List) || p->items.size() != 2)
                        fail("OrderedDict() items are not pairs");
                    setItem(d, p->items[0], p->items[1]);
                }
                return d;
            }
            fail("OrderedDict() with unsupported arguments");
        }
        case Global::Set: {
            Node* l = make(NK::List);
            if (a.size() == 1 && (a[0]->k == NK::List || a[0]->k == NK::Tuple)) l->items = a[0]->items;
            else if (!a.empty()) fail("set() with unsupported arguments");
            return l;
        }
        case Global::RebuildTensorV2: return rebuildTensor(a);
        case Global::RebuildParameter:
        case Global::RebuildParameterWithState: {
            const size_t n = fn->g == Global::RebuildParameter ? 3 : 4;
            if (a.size() != n || a[0]->k != NK::Tensor)
                fail(fn->s + "() needs " + std::to_string(n) + " arguments, the first a tensor");
            return a[0];
        }
        case Global::ParameterDict:
        case Global::Storage: break;
        }
        fail("'" + fn->s + "' cannot be called with REDUCE");
    }

    Node* rebuildTensor(const std::vector<Node*>& a)
    {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2() needs 6 or 7 arguments, got " + std::to_string(a.size()));
        const Node* st = a[0];
        if (st->k != NK::Storage) fail(std::string("_rebuild_tensor_v2() storage is a ") + nodeKindName(st));
        const int64_t offset = intArg(a[1], "a tensor's storage offset");
        if (a[2]->k != NK::Tuple || a[3]->k != NK::Tuple) fail("a tensor's size and stride are not tuples");
        const auto& sz = a[2]->items;
        const auto& sd = a[3]->items;
        if (sz.size() != sd.size())
            fail("a tensor has " + std::to_string(sz.size()) + " sizes but " + std::to_string(sd.size()) + " strides");
        if (sz.size() > static_cast<size_t>(m_limits.maxTensorDims))
            fail("a tensor has " + std::to_string(sz.size()) + " dimensions");
        const int64_t storageNumel = st->t.numel();
        const std::string what = "tensor on storage '" + printable(st->s) + "'";
        if (offset < 0 || offset > storageNumel)
            fail(what + " has storage offset " + std::to_string(offset) + ", outside its storage of " +
                 std::to_string(storageNumel) + " elements");
        std::vector<int64_t> sizes, strides;
        bool empty = false;
        uint64_t last = static_cast<uint64_t>(offset);  // index of the last element
        constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        uint64_t numel = 1;
        for (size_t d = 0; d < sz.size(); ++d) {
            const int64_t n = intArg(sz[d], "a tensor size");
            const int64_t s = intArg(sd[d], "a tensor stride");
            if (n < 0 || s < 0)
                fail(what + " has a negative size or stride (" + std::to_string(n) + ", " + std::to_string(s) + ")");
            sizes.push_back(n);
            strides.push_back(s);
            if (n == 0) empty = true;
            if (n != 0 && numel > kMax / static_cast<uint64_t>(n)) fail(what + " has too many elements");
            numel *= static_cast<uint64_t>(n);
        }
        if (!empty) {
            for (size_t d = 0; d < sizes.size(); ++d) {
                const auto n1 = static_cast<uint64_t>(sizes[d] - 1);
                const auto s = static_cast<uint64_t>(strides[d]);
                if (s != 0 && n1 > (kMax - last) / s) fail(what + " reaches beyond any storage (size x stride overflows)");
                last += n1 * s;
            }
            if (last >= static_cast<uint64_t>(storageNumel))
                fail(what + " (offset " + std::to_string(offset) + ", sizes " + c10::str(c10::IntArrayRef(sizes)) +
                     ", strides " + c10::str(c10::IntArrayRef(strides)) + ") reaches element " + std::to_string(last) +
                     ", outside its storage of " + std::to_string(storageNumel) + " elements");
        }
        Node* t = make(NK::Tensor);
        if (empty)
            t->t = torch::empty(sizes, torch::TensorOptions().dtype(st->dtype));
        else
            t->t = st->t.as_strided(sizes, strides, offset);
        return t;
    }

    Node* newObject(Node* cls, Node* args)
    {
        if (cls->k != NK::Global) fail(std::string("NEWOBJ on a ") + nodeKindName(cls) + ", not an allowed class");
        if (args->k != NK::Tuple) fail("NEWOBJ arguments are not a tuple");
        switch (cls->g) {
        case Global::ParameterDict: {
            if (!args->items.empty()) fail("ParameterDict with constructor arguments");
            Node* o = make(NK::Object);
            o->g = Global::ParameterDict;
            o->s = cls->s;
            return o;
        }
        case Global::OrderedDict:
            if (!args->items.empty()) fail("OrderedDict with NEWOBJ arguments");
            return make(NK::Dict);
        case Global::Set:
            if (!args->items.empty()) fail("set with NEWOBJ arguments");
            return make(NK::List);
        default: break;
        }
        fail("'" + cls->s + "' cannot be created with NEWOBJ");
    }

    void build(Node* obj, Node* state)
    {
        if (obj->k == NK::Object && obj->g == Global::ParameterDict) {
            // Module state: a dict (or (dict, slots)) whose '_parameters' holds the parameters.
            if (state->k == NK::Tuple && state->items.size() == 2 && state->items[0]->k == NK::Dict)
                state = state->items[0];
            if (state->k != NK::Dict) fail("ParameterDict state is not a dict");
            const auto it = state->index.find("s_parameters");
            if (it == state->index.end()) fail("ParameterDict state has no '_parameters'");
            const Node* params = state->items[it->second];
            if (params->k != NK::Dict) fail("ParameterDict '_parameters' is not a dict");
            obj->k = NK::Dict;
            obj->keys = params->keys;
            obj->items = params->items;
            obj->index = params->index;
            return;
        }
        if (obj->k == NK::Dict && (state->k == NK::None || (state->k == NK::Dict && state->keys.empty()))) return;
        fail(std::string("BUILD on a ") + nodeKindName(obj) + " is not supported");
    }

    const std::string& m_file;
    const PickleStorageLoader& m_storages;
    const PickleLimits& m_limits;
    std::vector<std::unique_ptr<Node>> m_arena;
    std::vector<Node*> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<int64_t, Node*> m_memo;
    std::map<std::string, Node*> m_storageNodes;
    Node* m_result = nullptr;
    const Op* m_op = nullptr;
};

// The arena graph -> a PickleValue tree (copies shared values; bounded depth and count).
class Converter {
public:
    // `maxValues`: the most values the result may have (shared values count once per share).
    Converter(const std::string& file, const PickleLimits& limits, size_t maxValues)
        : m_file(file), m_limits(limits), m_maxValues(maxValues)
    {}

    void convert(const Node* n, PickleValue& out, size_t depth)
    {
        if (depth > m_limits.maxDepth)
            throw FormatError("The pickle in " + m_file + " nests values deeper than " +
                              std::to_string(m_limits.maxDepth) + " levels (or refers to itself).");
        if (++m_count > m_maxValues)
            throw FormatError("The pickle in " + m_file + " expands to more than " + std::to_string(m_maxValues) +
                              " values (one value shared over and over).");
        using K = PickleValue::Kind;
        switch (n->k) {
        case NK::None: out.kind = K::None; return;
        case NK::Bool: out.kind = K::Bool; out.boolean = n->b; return;
        case NK::Int: out.kind = K::Int; out.integer = n->i; return;
        case NK::Float: out.kind = K::Float; out.real = n->f; return;
        case NK::String: out.kind = K::String; out.text = n->s; return;
        case NK::Bytes: out.kind = K::Bytes; out.text = n->s; return;
        case NK::Tensor: out.kind = K::Tensor; out.tensor = n->t; return;
        case NK::List: case NK::Tuple:
            out.kind = n->k == NK::List ? K::List : K::Tuple;
            out.items.resize(n->items.size());
            for (size_t k = 0; k < n->items.size(); ++k) convert(n->items[k], out.items[k], depth + 1);
            return;
        case NK::Dict:
            out.kind = K::Dict;
            out.keys.resize(n->keys.size());
            out.items.resize(n->items.size());
            for (size_t k = 0; k < n->keys.size(); ++k) {
                convert(n->keys[k], out.keys[k], depth + 1);
                convert(n->items[k], out.items[k], depth + 1);
            }
            return;
        case NK::Global: case NK::Storage: case NK::Object:
            throw FormatError("The pickle in " + m_file + " holds a " + nodeKindName(n) + " '" + printable(n->s) +
                              "' among its values, not data.");
        }
    }

private:
    const std::string& m_file;
    const PickleLimits& m_limits;
    size_t m_maxValues;
    size_t m_count = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// PickleValue

const char* toString(PickleValue::Kind kind)
{
    using K = PickleValue::Kind;
    switch (kind) {
    case K::None: return "None";
    case K::Bool: return "bool";
    case K::Int: return "int";
    case K::Float: return "float";
    case K::String: return "str";
    case K::Bytes: return "bytes";
    case K::List: return "list";
    case K::Tuple: return "tuple";
    case K::Dict: return "dict";
    case K::Tensor: return "tensor";
    }
    return "?";
}

const char* PickleValue::kindName() const { return toString(kind); }

const PickleValue* PickleValue::find(std::string_view key) const
{
    if (kind != Kind::Dict) return nullptr;
    for (size_t k = 0; k < keys.size(); ++k)
        if (keys[k].kind == Kind::String && keys[k].text == key) return &items[k];
    return nullptr;
}

std::vector<std::string> PickleValue::keyStrings() const
{
    std::vector<std::string> out;
    if (kind != Kind::Dict) return out;
    for (const auto& k : keys) {
        if (k.kind == Kind::String) out.push_back(k.text);
        else if (k.kind == Kind::Int) out.push_back(std::to_string(k.integer));
        else out.push_back(std::string("<") + k.kindName() + ">");
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Entry points

std::vector<std::string> torchPickleGlobals(std::string_view bytes, const std::string& file)
{
    std::vector<std::pair<std::string, size_t>> globals;
    Lexer(bytes, file).run(globals);
    std::vector<std::string> out;
    for (auto& [g, pos] : globals) out.push_back(std::move(g));
    return out;
}

bool isAllowedPickleGlobal(const std::string& dottedName)
{
    for (const auto& g : kGlobals)
        if (dotted(g.module, g.name) == dottedName) return true;
    return false;
}

PickleValue readTorchPickle(std::string_view bytes, const std::string& file, const PickleStorageLoader& storages,
                            const PickleLimits& limits)
{
    std::vector<std::pair<std::string, size_t>> globals;
    const std::vector<Op> ops = Lexer(bytes, file).run(globals);
    // Every global the stream names is checked before a single opcode is interpreted.
    for (const auto& [g, pos] : globals) {
        if (!isAllowedPickleGlobal(g)) {
            const size_t dot = g.rfind('.');
            refuse(std::string_view(g).substr(0, dot == std::string::npos ? 0 : dot),
                   dot == std::string::npos ? std::string_view(g) : std::string_view(g).substr(dot + 1), file, pos);
        }
    }
    Machine vm(file, storages, limits);
    const Node* result = vm.run(ops);
    // A real pickle's result is about as large as the objects it made (keys and tensors are made
    // once each); sharing may multiply that a little, not by thousands.
    const size_t budget = std::min(limits.maxValues, std::max<size_t>(100'000, 16 * vm.nodeCount()));
    PickleValue out;
    Converter(file, limits, budget).convert(result, out, 0);
    return out;
}

}  // namespace inpaint::models
