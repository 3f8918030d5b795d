// SPDX-License-Identifier: MIT
// cfi_unwinder: the .eh_frame_hdr lookup, the CIE/FDE reader, the call-frame program's
// interpreter (the subset compilers emit for x86-64), and the lock-free cache of frame rules.
#include "cfi_unwinder.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstring>

namespace heapkit::os::detail {

#if defined(__x86_64__)

namespace {

// DWARF register numbers of the x86-64 psABI.
constexpr std::uint64_t dwarf_bp = 6;
constexpr std::uint64_t dwarf_sp = 7;
constexpr std::uint64_t dwarf_ra = 16;

// How to step from a frame at `pc` to its caller.
struct frame_rule {
    enum class kind : std::uint8_t {
        follow,       // CFA = (bp or sp) + cfa_offset; return address at CFA + ra_offset
        last_frame,   // the return address is undefined: the stack's outermost frame
        no_table,     // no unwind table covers pc (JIT code, a stripped module): the walk ends
        unsupported,  // the rules need more than this unwinder follows
    } what = kind::unsupported;
    bool cfa_from_bp = false;
    bool bp_saved = false;  // bp at CFA + bp_offset; else unchanged
    bool bp_lost = false;   // bp undefined in the caller
    std::uint32_t cfa_offset = 0;
    std::int32_t bp_offset = 0;  // a multiple of 8
    std::int32_t ra_offset = 0;  // a multiple of 8
};

// --- reading the tables ------------------------------------------------------------------------

class reader {
public:
    explicit reader(const std::uint8_t* at) noexcept : at_(at) {}
    const std::uint8_t* position() const noexcept { return at_; }
    void skip(std::size_t bytes) noexcept { at_ += bytes; }
    template <class T>
    T fixed() noexcept {
        T value;
        std::memcpy(&value, at_, sizeof value);
        at_ += sizeof value;
        return value;
    }
    std::uint64_t uleb() noexcept {
        std::uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            const std::uint8_t byte = *at_++;
            if (shift < 64) value |= std::uint64_t{byte & 0x7Fu} << shift;
            if ((byte & 0x80) == 0) return value;
        }
    }
    std::int64_t sleb() noexcept {
        std::uint64_t value = 0;
        unsigned shift = 0;
        std::uint8_t byte = 0;
        do {
            byte = *at_++;
            if (shift < 64) value |= std::uint64_t{byte & 0x7Fu} << shift;
            shift += 7;
        } while ((byte & 0x80) != 0);
        if (shift < 64 && (byte & 0x40) != 0) value |= ~std::uint64_t{0} << shift;
        return static_cast<std::int64_t>(value);
    }
    // A pointer in DW_EH_PE encoding `encoding`; `absolute` leaves out the pc-relative part (for
    // an FDE's address range). False for what this reader does not take (text-, data-, function-
    // relative and indirect pointers, which compilers do not emit in these fields on x86-64).
    bool pointer(std::uint8_t encoding, std::uintptr_t& value, bool absolute = false) noexcept {
        const auto here = reinterpret_cast<std::uintptr_t>(at_);
        std::uint64_t raw = 0;
        switch (encoding & 0x0F) {
            case 0x00: raw = fixed<std::uint64_t>(); break;
            case 0x01: raw = uleb(); break;
            case 0x02: raw = fixed<std::uint16_t>(); break;
            case 0x03: raw = fixed<std::uint32_t>(); break;
            case 0x04: raw = fixed<std::uint64_t>(); break;
            case 0x09: raw = static_cast<std::uint64_t>(sleb()); break;
            case 0x0A: raw = static_cast<std::uint64_t>(static_cast<std::int64_t>(fixed<std::int16_t>())); break;
            case 0x0B: raw = static_cast<std::uint64_t>(static_cast<std::int64_t>(fixed<std::int32_t>())); break;
            case 0x0C: raw = fixed<std::uint64_t>(); break;
            default: return false;
        }
        switch (absolute ? 0 : encoding & 0x70) {
            case 0x00: value = raw; return (encoding & 0x80) == 0;
            case 0x10: value = here + raw; return (encoding & 0x80) == 0;
            default: return false;
        }
    }

private:
    const std::uint8_t* at_;
};

// What a CIE says that its FDEs need.
struct cie_facts {
    std::uint64_t code_align = 1;
    std::int64_t data_align = 1;
    std::uint8_t fde_encoding = 0;  // DW_EH_PE_absptr unless 'R' says otherwise
    bool has_augmentation_data = false;
    bool signal_frame = false;
    const std::uint8_t* instructions = nullptr;
    const std::uint8_t* end = nullptr;
};

bool read_cie(const std::uint8_t* start, cie_facts& cie) noexcept {
    reader in(start);
    const auto length = in.fixed<std::uint32_t>();
    if (length == 0 || length == 0xFFFFFFFFu) return false;  // a terminator, or 64-bit DWARF (never in .eh_frame)
    cie.end = in.position() + length;
    if (in.fixed<std::uint32_t>() != 0) return false;  // not a CIE
    const std::uint8_t version = in.fixed<std::uint8_t>();
    if (version != 1 && version != 3) return false;
    const char* augmentation = reinterpret_cast<const char*>(in.position());
    in.skip(std::strlen(augmentation) + 1);
    if (augmentation[0] != '\0' && augmentation[0] != 'z') return false;  // "eh" and other ancient forms
    cie.code_align = in.uleb();
    cie.data_align = in.sleb();
    if (version == 1)
        in.skip(1);
    else
        in.uleb();  // the return address column: 16 on x86-64
    if (augmentation[0] == 'z') {
        cie.has_augmentation_data = true;
        const std::uint64_t data_length = in.uleb();
        const std::uint8_t* data_end = in.position() + data_length;
        for (const char* letter = augmentation + 1; *letter != '\0'; ++letter) {
            if (*letter == 'R') {
                cie.fde_encoding = in.fixed<std::uint8_t>();
            } else if (*letter == 'L') {
                in.skip(1);
            } else if (*letter == 'P') {
                std::uintptr_t ignored = 0;
                const auto encoding = in.fixed<std::uint8_t>();
                if (!in.pointer(static_cast<std::uint8_t>(encoding & 0x7F), ignored, true)) return false;
            } else if (*letter == 'S') {
                cie.signal_frame = true;
            } else {
                break;  // unknown letters end what can be read; the length says where the data ends
            }
        }
        cie.instructions = data_end;
    } else {
        cie.instructions = in.position();
    }
    return true;
}

// --- the call-frame program ------------------------------------------------------------------------

struct register_rule {
    enum class how : std::uint8_t { same, offset, undefined, unsupported } kind = how::same;
    std::int64_t offset = 0;
};

struct cfa_state {
    std::uint64_t cfa_register = dwarf_sp;
    std::int64_t cfa_offset = 8;
    bool cfa_unsupported = false;
    register_rule bp;
    register_rule ra;
};

class cfa_program {
public:
    cfa_program(const cie_facts& cie, std::uintptr_t target) noexcept : cie_(cie), target_(target) {}

    // Runs instructions [from, to) from code address `location`; stops once the location passes
    // the target. False for an instruction this interpreter does not take.
    bool run(const std::uint8_t* from, const std::uint8_t* to, std::uintptr_t location) noexcept {
        reader in(from);
        while (in.position() < to) {
            const std::uint8_t op = in.fixed<std::uint8_t>();
            const std::uint8_t low = op & 0x3F;
            switch (op >> 6) {
                case 1:
                    location += low * cie_.code_align;
                    if (location > target_) return true;
                    continue;
                case 2: set_offset(low, static_cast<std::int64_t>(in.uleb()) * cie_.data_align); continue;
                case 3: restore(low); continue;
                default: break;
            }
            switch (op) {
                case 0x00: break;                                                           // nop
                case 0x02: location += in.fixed<std::uint8_t>() * cie_.code_align; break;   // advance_loc1
                case 0x03: location += in.fixed<std::uint16_t>() * cie_.code_align; break;  // advance_loc2
                case 0x04: location += in.fixed<std::uint32_t>() * cie_.code_align; break;  // advance_loc4
                case 0x05: {                                                                // offset_extended
                    const std::uint64_t reg = in.uleb();
                    set_offset(reg, static_cast<std::int64_t>(in.uleb()) * cie_.data_align);
                    break;
                }
                case 0x06: restore(in.uleb()); break;                                  // restore_extended
                case 0x07: set(in.uleb(), {register_rule::how::undefined, 0}); break;  // undefined
                case 0x08: set(in.uleb(), {register_rule::how::same, 0}); break;       // same_value
                case 0x09: {                                                           // register
                    const std::uint64_t reg = in.uleb();
                    in.uleb();
                    set(reg, {register_rule::how::unsupported, 0});
                    break;
                }
                case 0x0A:  // remember_state
                    if (saved_count_ == max_saved) return false;
                    saved_[saved_count_++] = state_;
                    break;
                case 0x0B:  // restore_state
                    if (saved_count_ == 0) return false;
                    state_ = saved_[--saved_count_];
                    break;
                case 0x0C:  // def_cfa
                    state_.cfa_register = in.uleb();
                    state_.cfa_offset = static_cast<std::int64_t>(in.uleb());
                    state_.cfa_unsupported = false;
                    break;
                case 0x0D: state_.cfa_register = in.uleb(); break;                           // def_cfa_register
                case 0x0E: state_.cfa_offset = static_cast<std::int64_t>(in.uleb()); break;  // def_cfa_offset
                case 0x0F:                                                                   // def_cfa_expression
                    in.skip(in.uleb());
                    state_.cfa_unsupported = true;
                    break;
                case 0x10:    // expression
                case 0x16: {  // val_expression
                    const std::uint64_t reg = in.uleb();
                    in.skip(in.uleb());
                    set(reg, {register_rule::how::unsupported, 0});
                    break;
                }
                case 0x11: {  // offset_extended_sf
                    const std::uint64_t reg = in.uleb();
                    set_offset(reg, in.sleb() * cie_.data_align);
                    break;
                }
                case 0x12:  // def_cfa_sf
                    state_.cfa_register = in.uleb();
                    state_.cfa_offset = in.sleb() * cie_.data_align;
                    state_.cfa_unsupported = false;
                    break;
                case 0x13: state_.cfa_offset = in.sleb() * cie_.data_align; break;  // def_cfa_offset_sf
                case 0x14:                                                          // val_offset
                case 0x15: {                                                        // val_offset_sf
                    const std::uint64_t reg = in.uleb();
                    if (op == 0x14)
                        in.uleb();
                    else
                        in.sleb();
                    set(reg, {register_rule::how::unsupported, 0});
                    break;
                }
                case 0x2E: in.uleb(); break;  // GNU_args_size
                case 0x2F: {                  // GNU_negative_offset_extended
                    const std::uint64_t reg = in.uleb();
                    set_offset(reg, -static_cast<std::int64_t>(in.uleb()) * cie_.data_align);
                    break;
                }
                default: return false;  // set_loc and anything unknown
            }
            if (location > target_) return true;
        }
        return true;
    }

    void mark_initial() noexcept { initial_ = state_; }
    const cfa_state& state() const noexcept { return state_; }

private:
    static constexpr std::size_t max_saved = 8;

    void set(std::uint64_t reg, register_rule rule) noexcept {
        if (reg == dwarf_bp) state_.bp = rule;
        if (reg == dwarf_ra) state_.ra = rule;
    }
    void set_offset(std::uint64_t reg, std::int64_t offset) noexcept { set(reg, {register_rule::how::offset, offset}); }
    void restore(std::uint64_t reg) noexcept {
        if (reg == dwarf_bp) state_.bp = initial_.bp;
        if (reg == dwarf_ra) state_.ra = initial_.ra;
    }

    const cie_facts& cie_;
    std::uintptr_t target_;
    cfa_state state_{};
    cfa_state initial_{};
    cfa_state saved_[max_saved]{};
    std::size_t saved_count_ = 0;
};

// --- finding a pc's rule -------------------------------------------------------------------------

// The FDE covering `pc` through the object's .eh_frame_hdr binary-search table, or null.
const std::uint8_t* find_fde(std::uintptr_t pc, bool& unsupported) noexcept {
    dl_find_object found{};
    if (::_dl_find_object(reinterpret_cast<void*>(pc), &found) != 0 || found.dlfo_eh_frame == nullptr) return nullptr;
    const auto* header = static_cast<const std::uint8_t*>(found.dlfo_eh_frame);
    constexpr std::uint8_t datarel_sdata4 = 0x3B;  // what every linker writes for the table
    if (header[0] != 1 || header[3] != datarel_sdata4) {
        unsupported = true;
        return nullptr;
    }
    reader in(header + 4);
    std::uintptr_t frame_section = 0, count = 0;
    if (!in.pointer(header[1], frame_section) || !in.pointer(header[2], count)) {
        unsupported = true;
        return nullptr;
    }
    const auto* table = reinterpret_cast<const std::int32_t*>(in.position());
    const auto base = reinterpret_cast<std::intptr_t>(header);
    std::size_t low = 0, high = count;  // the last entry whose start is at most pc
    while (high - low > 1) {
        const std::size_t middle = low + (high - low) / 2;
        if (static_cast<std::uintptr_t>(base + table[2 * middle]) <= pc)
            low = middle;
        else
            high = middle;
    }
    if (count == 0 || static_cast<std::uintptr_t>(base + table[2 * low]) > pc) return nullptr;
    return reinterpret_cast<const std::uint8_t*>(base + table[2 * low + 1]);
}

frame_rule rule_for(std::uintptr_t pc) noexcept {
    frame_rule rule;
    bool unsupported = false;
    const std::uint8_t* fde = find_fde(pc, unsupported);
    if (fde == nullptr) {
        rule.what = unsupported ? frame_rule::kind::unsupported : frame_rule::kind::no_table;
        return rule;
    }
    reader in(fde);
    const auto length = in.fixed<std::uint32_t>();
    if (length == 0 || length == 0xFFFFFFFFu) return rule;
    const std::uint8_t* end = in.position() + length;
    const std::uint8_t* cie_pointer_at = in.position();
    const auto cie_offset = in.fixed<std::uint32_t>();
    cie_facts cie;
    if (cie_offset == 0 || !read_cie(cie_pointer_at - cie_offset, cie) || cie.signal_frame) return rule;
    std::uintptr_t start = 0, range = 0;
    if (!in.pointer(cie.fde_encoding, start) || !in.pointer(cie.fde_encoding, range, true)) return rule;
    if (pc < start || pc - start >= range) {
        rule.what = frame_rule::kind::no_table;
        return rule;
    }
    if (cie.has_augmentation_data) in.skip(in.uleb());
    cfa_program program(cie, pc);
    if (!program.run(cie.instructions, cie.end, 0)) return rule;
    program.mark_initial();
    if (!program.run(in.position(), end, start)) return rule;
    const cfa_state& state = program.state();
    if (state.ra.kind == register_rule::how::undefined) {
        rule.what = frame_rule::kind::last_frame;
        return rule;
    }
    const auto fits = [](std::int64_t offset) { return offset % 8 == 0 && offset >= -(1 << 10) && offset < (1 << 10); };
    if (state.cfa_unsupported || (state.cfa_register != dwarf_sp && state.cfa_register != dwarf_bp) || state.cfa_offset <= 0 ||
        state.cfa_offset >= (1 << 20) || state.ra.kind != register_rule::how::offset || !fits(state.ra.offset) ||
        state.bp.kind == register_rule::how::unsupported ||
        (state.bp.kind == register_rule::how::offset && !fits(state.bp.offset)))
        return rule;
    rule.what = frame_rule::kind::follow;
    rule.cfa_from_bp = state.cfa_register == dwarf_bp;
    rule.cfa_offset = static_cast<std::uint32_t>(state.cfa_offset);
    rule.ra_offset = static_cast<std::int32_t>(state.ra.offset);
    rule.bp_saved = state.bp.kind == register_rule::how::offset;
    rule.bp_lost = state.bp.kind == register_rule::how::undefined;
    rule.bp_offset = static_cast<std::int32_t>(state.bp.offset);
    return rule;
}

// --- the cache ---------------------------------------------------------------------------------------

// A rule in 41 bits, with 23 bits of a hash of its pc on top: a slot read while another thread
// rewrites it is taken only when its key and tag both agree with the pc looked up.
//   bits 0-1 kind, 2 cfa_from_bp, 3 bp_saved, 4 bp_lost, 5-24 cfa_offset, 25-32 bp_offset / 8,
//   33-40 ra_offset / 8 (both two's complement), 41-63 the tag.
constexpr unsigned tag_shift = 41;

std::uint64_t tag_of(std::uintptr_t pc) noexcept { return (pc * 0x9E3779B97F4A7C15ull) >> tag_shift; }

std::uint64_t pack(const frame_rule& rule, std::uintptr_t pc) noexcept {
    const auto eighths = [](std::int32_t offset) { return static_cast<std::uint64_t>(static_cast<std::uint8_t>(offset / 8)); };
    return static_cast<std::uint64_t>(rule.what) | std::uint64_t{rule.cfa_from_bp} << 2 | std::uint64_t{rule.bp_saved} << 3 |
           std::uint64_t{rule.bp_lost} << 4 | std::uint64_t{rule.cfa_offset} << 5 | eighths(rule.bp_offset) << 25 |
           eighths(rule.ra_offset) << 33 | tag_of(pc) << tag_shift;
}

[[gnu::always_inline]] inline frame_rule unpack(std::uint64_t bits) noexcept {
    const auto offset = [](std::uint64_t eighths) {
        return static_cast<std::int32_t>(static_cast<std::int8_t>(eighths & 0xFF)) * 8;
    };
    frame_rule rule;
    rule.what = static_cast<frame_rule::kind>(bits & 3);
    rule.cfa_from_bp = (bits >> 2 & 1) != 0;
    rule.bp_saved = (bits >> 3 & 1) != 0;
    rule.bp_lost = (bits >> 4 & 1) != 0;
    rule.cfa_offset = static_cast<std::uint32_t>(bits >> 5 & 0xFFFFF);
    rule.bp_offset = offset(bits >> 25);
    rule.ra_offset = offset(bits >> 33);
    return rule;
}

struct cache_slot {
    std::atomic<std::uintptr_t> pc{0};
    std::atomic<std::uint64_t> rule{0};
};
constexpr unsigned cache_bits = 12;  // 4096 return addresses, 64 KiB of zero pages until touched
cache_slot rule_cache[std::size_t{1} << cache_bits];

frame_rule cached_rule(std::uintptr_t pc) noexcept {
    cache_slot& slot = rule_cache[(pc * 0x9E3779B97F4A7C15ull) >> (64 - cache_bits)];
    const std::uintptr_t key = slot.pc.load(std::memory_order_acquire);
    const std::uint64_t bits = slot.rule.load(std::memory_order_acquire);
    if (key == pc && slot.pc.load(std::memory_order_acquire) == pc && bits >> tag_shift == tag_of(pc)) return unpack(bits);
    const frame_rule rule = rule_for(pc);
    slot.pc.store(0, std::memory_order_release);
    slot.rule.store(pack(rule, pc), std::memory_order_release);
    slot.pc.store(pc, std::memory_order_release);
    return rule;
}

// The rule for `pc`: from `memo` where it holds it, else from the shared cache (and then kept in
// `memo` too).
frame_rule memoized_rule(unwind_memo* memo, std::uintptr_t pc) noexcept {
    if (memo == nullptr) return cached_rule(pc);
    unwind_memo::slot& slot = memo->slots[(pc ^ pc >> unwind_memo::slot_bits) & ((std::size_t{1} << unwind_memo::slot_bits) - 1)];
    if (slot.pc == pc) return unpack(slot.rule);
    const frame_rule rule = cached_rule(pc);
    slot = {pc, pack(rule, pc)};
    return rule;
}

// A word of the stack: a saved register or return address, between other frames' variables, which
// AddressSanitizer would otherwise take for an out-of-bounds read.
__attribute__((no_sanitize("address"))) bool read_word(std::uintptr_t address, stack_bounds bounds,
                                                       std::uintptr_t& value) noexcept {
    if (address % sizeof(void*) != 0 || address < bounds.low || address > bounds.high - sizeof(void*)) return false;
    value = *reinterpret_cast<const volatile std::uintptr_t*>(address);
    return true;
}

// Below this no code is mapped (Linux keeps the first 64 KiB unmapped by default): a return address
// there is the stack's end, or damage.
constexpr std::uintptr_t lowest_code_address = 4096;

}  // namespace

walk_result walk(frame_registers registers, stack_bounds bounds, std::span<void*> frames, std::size_t skip, std::size_t& written,
                 unwind_memo* memo) noexcept {
    written = 0;
    if (registers.sp < bounds.low || registers.sp >= bounds.high) return walk_result::unsupported;
    for (std::size_t callers = 0; written < frames.size(); ++callers) {
        const frame_rule rule = memoized_rule(memo, callers == 0 ? registers.pc : registers.pc - 1);
        if (rule.what == frame_rule::kind::unsupported) return walk_result::unsupported;
        if (rule.what != frame_rule::kind::follow) return walk_result::complete;
        if (rule.cfa_from_bp && registers.bp == 0) return walk_result::complete;  // a caller lost it
        const std::uintptr_t cfa = (rule.cfa_from_bp ? registers.bp : registers.sp) + rule.cfa_offset;
        std::uintptr_t return_address = 0;
        std::uintptr_t bp = rule.bp_lost ? 0 : registers.bp;
        if (cfa <= registers.sp ||
            !read_word(cfa + static_cast<std::uintptr_t>(std::intptr_t{rule.ra_offset}), bounds, return_address))
            return walk_result::complete;  // a frame that does not lie above the last: damage, or the end
        if (rule.bp_saved && !read_word(cfa + static_cast<std::uintptr_t>(std::intptr_t{rule.bp_offset}), bounds, bp))
            return walk_result::complete;
        if (return_address < lowest_code_address) return walk_result::complete;
        if (callers >= skip) frames[written++] = reinterpret_cast<void*>(return_address);
        registers = {return_address, cfa, bp};
    }
    return walk_result::complete;
}

#else  // no CFI reader for this architecture

walk_result walk(frame_registers, stack_bounds, std::span<void*>, std::size_t, std::size_t& written, unwind_memo*) noexcept {
    written = 0;
    return walk_result::unsupported;
}

#endif

}  // namespace heapkit::os::detail
