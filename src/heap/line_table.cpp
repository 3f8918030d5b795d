// SPDX-License-Identifier: MIT
// line_at: each unit of .debug_line is a header (the opcodes' parameters, the directory and file
// tables) and a line program, a byte code whose state machine emits rows (address, file, line);
// rows of one sequence rise in address, so the row covering an address is the last one at or
// before it, found while running the program. Numbers are those of the DWARF 5 standard, 6.2.
#include "heapkit/heap/detail/line_table.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace heapkit::os {
namespace {

enum standard_opcode : std::uint8_t {
    copy = 1,
    advance_pc = 2,
    advance_line = 3,
    set_file = 4,
    const_add_pc = 8,
    fixed_advance_pc = 9,
};
enum extended_opcode : std::uint8_t { end_sequence = 1, set_address = 2 };
enum content_type : std::uint64_t { content_path = 1, content_directory_index = 2 };
enum form : std::uint64_t {
    form_block2 = 0x03,
    form_block4 = 0x04,
    form_data2 = 0x05,
    form_data4 = 0x06,
    form_data8 = 0x07,
    form_string = 0x08,
    form_block = 0x09,
    form_block1 = 0x0a,
    form_data1 = 0x0b,
    form_sdata = 0x0d,
    form_strp = 0x0e,
    form_udata = 0x0f,
    form_sec_offset = 0x17,
    form_strx = 0x1a,
    form_data16 = 0x1e,
    form_line_strp = 0x1f,
    form_strx1 = 0x25,
    form_strx2 = 0x26,
    form_strx3 = 0x27,
    form_strx4 = 0x28,
};

// Reads little-endian numbers, LEB128 numbers and strings from a byte range; a read past the end
// gives 0 (or an empty string) and leaves the reader failed, so a caller checks ok() once.
class byte_reader {
public:
    explicit byte_reader(std::span<const unsigned char> bytes) noexcept : bytes_(bytes) {}

    bool ok() const noexcept { return ok_; }
    bool at_end() const noexcept { return at_ >= bytes_.size(); }
    std::size_t position() const noexcept { return at_; }

    std::uint64_t fixed(std::size_t width) noexcept {
        if (!take(width)) return 0;
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < width && i < 8; ++i) value |= std::uint64_t{bytes_[at_ - width + i]} << (8 * i);
        return value;
    }
    std::uint64_t uleb() noexcept {
        std::uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (!take(1)) return 0;
            const unsigned char byte = bytes_[at_ - 1];
            if (shift < 64) value |= std::uint64_t{byte & 0x7fu} << shift;
            if ((byte & 0x80u) == 0) return value;
        }
    }
    std::int64_t sleb() noexcept {
        std::uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (!take(1)) return 0;
            const unsigned char byte = bytes_[at_ - 1];
            if (shift < 64) value |= std::uint64_t{byte & 0x7fu} << shift;
            if ((byte & 0x80u) == 0) {
                if (shift + 7 < 64 && (byte & 0x40u) != 0) value |= ~std::uint64_t{0} << (shift + 7);
                return static_cast<std::int64_t>(value);
            }
        }
    }
    std::string_view text() noexcept {
        const std::string_view rest(reinterpret_cast<const char*>(bytes_.data()) + std::min(at_, bytes_.size()),
                                    bytes_.size() - std::min(at_, bytes_.size()));
        const std::size_t end = rest.find('\0');
        if (end == std::string_view::npos) {
            ok_ = false;
            at_ = bytes_.size();
            return {};
        }
        at_ += end + 1;
        return rest.substr(0, end);
    }
    void skip(std::uint64_t width) noexcept { take(width); }
    // The next `width` bytes; empty (and the reader failed) when there are fewer.
    std::span<const unsigned char> bytes(std::uint64_t width) noexcept {
        return take(width) ? bytes_.subspan(at_ - width, width) : std::span<const unsigned char>{};
    }
    std::span<const unsigned char> remaining() const noexcept { return bytes_.subspan(std::min(at_, bytes_.size())); }
    // The next `width` bytes as a reader of their own; this one goes past them.
    byte_reader part(std::uint64_t width) noexcept { return byte_reader(bytes(width)); }

private:
    bool take(std::uint64_t width) noexcept {
        if (!ok_ || width > bytes_.size() - std::min(at_, bytes_.size())) {
            ok_ = false;
            at_ = bytes_.size();
            return false;
        }
        at_ += width;
        return true;
    }

    std::span<const unsigned char> bytes_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

// The string sections that DWARF 5 entries point into.
struct string_sections {
    std::span<const unsigned char> line_strings;  // .debug_line_str
    std::span<const unsigned char> strings;       // .debug_str
};

std::string_view string_at(std::span<const unsigned char> section, std::uint64_t offset) noexcept {
    if (offset >= section.size()) return {};
    byte_reader reader(section.subspan(offset));
    const std::string_view text = reader.text();
    return reader.ok() ? text : std::string_view{};
}

struct entry_format {
    std::uint64_t content = 0;
    std::uint64_t form = 0;
};
constexpr std::size_t max_entry_formats = 8;

// What the header of one unit says, as the program and the file lookup need it.
struct line_unit {
    std::uint16_t version = 0;
    std::size_t offset_bytes = 4;  // 8 in 64-bit DWARF
    std::size_t address_bytes = 8;
    std::uint8_t min_instruction_bytes = 1;
    std::int8_t line_base = 0;
    std::uint8_t line_range = 1;
    std::uint8_t opcode_base = 1;
    std::span<const unsigned char> argument_counts;  // of standard opcodes 1 .. opcode_base - 1
    // DWARF 5: each table's entry formats and entries; DWARF 2-4: the strings' lists.
    std::array<entry_format, max_entry_formats> directory_formats{};
    std::size_t directory_format_count = 0;
    std::span<const unsigned char> directories;  // from the first entry on
    std::uint64_t directory_count = 0;           // DWARF 5 only
    std::array<entry_format, max_entry_formats> file_formats{};
    std::size_t file_format_count = 0;
    std::span<const unsigned char> files;  // from the first entry on
    std::uint64_t file_count = 0;          // DWARF 5 only
    std::span<const unsigned char> program;
};

// One value of `form` read: a string where the form holds one, else its number.
struct form_value {
    std::string_view text;
    std::uint64_t number = 0;
};

// Reads a value of `form`; fails the reader on a form an entry table may not use.
form_value read_form(byte_reader& reader, std::uint64_t form, const line_unit& unit, const string_sections& strings) noexcept {
    switch (form) {
        case form_string: return {reader.text(), 0};
        case form_line_strp: return {string_at(strings.line_strings, reader.fixed(unit.offset_bytes)), 0};
        case form_strp: return {string_at(strings.strings, reader.fixed(unit.offset_bytes)), 0};
        case form_sec_offset: return {{}, reader.fixed(unit.offset_bytes)};
        case form_strx:  // an index into .debug_str_offsets, which only a compile unit's base locates
        case form_udata: return {{}, reader.uleb()};
        case form_sdata: return {{}, static_cast<std::uint64_t>(reader.sleb())};
        case form_data1:
        case form_strx1: return {{}, reader.fixed(1)};
        case form_data2:
        case form_strx2: return {{}, reader.fixed(2)};
        case form_strx3: return {{}, reader.fixed(3)};
        case form_data4:
        case form_strx4: return {{}, reader.fixed(4)};
        case form_data8: return {{}, reader.fixed(8)};
        case form_data16: reader.skip(16); return {};
        case form_block: reader.skip(reader.uleb()); return {};
        case form_block1: reader.skip(reader.fixed(1)); return {};
        case form_block2: reader.skip(reader.fixed(2)); return {};
        case form_block4: reader.skip(reader.fixed(4)); return {};
        default: reader.skip(~std::uint64_t{0}); return {};  // fails the reader
    }
}

// A DWARF 5 entry: its path and directory index (0 when it names none).
struct table_entry {
    std::string_view path;
    std::uint64_t directory = 0;
};

table_entry read_entry(byte_reader& reader, std::span<const entry_format> formats, const line_unit& unit,
                       const string_sections& strings) noexcept {
    table_entry entry;
    for (const entry_format& format : formats) {
        const form_value value = read_form(reader, format.form, unit, strings);
        if (format.content == content_path) entry.path = value.text;
        if (format.content == content_directory_index) entry.directory = value.number;
    }
    return entry;
}

// Reads a DWARF 5 table's formats, then returns its entry count; the entries follow.
std::uint64_t read_formats(byte_reader& reader, std::array<entry_format, max_entry_formats>& formats,
                           std::size_t& count) noexcept {
    count = static_cast<std::size_t>(reader.fixed(1));
    if (count > max_entry_formats) {
        reader.skip(~std::uint64_t{0});
        return 0;
    }
    for (std::size_t i = 0; i < count; ++i) formats[i] = {reader.uleb(), reader.uleb()};
    // Each entry takes a byte at least, one for each format: a count that the bytes left cannot hold
    // (or entries of no format) is malformed, and would have the table walks spin.
    const std::uint64_t entries = reader.uleb();
    if (entries > 0 && (count == 0 || entries > reader.remaining().size())) {
        reader.skip(~std::uint64_t{0});
        return 0;
    }
    return entries;
}

// Parses the header of the unit `reader` holds (its length already read); false when malformed or
// of a version this reader does not know.
bool read_header(byte_reader& reader, bool dwarf64, line_unit& unit, const string_sections& strings) noexcept {
    unit.offset_bytes = dwarf64 ? 8 : 4;
    unit.version = static_cast<std::uint16_t>(reader.fixed(2));
    if (unit.version < 2 || unit.version > 5) return false;
    if (unit.version >= 5) {
        unit.address_bytes = static_cast<std::size_t>(reader.fixed(1));
        reader.skip(1);  // segment selector size
    }
    byte_reader header = reader.part(reader.fixed(unit.offset_bytes));
    unit.program = reader.remaining();
    unit.min_instruction_bytes = static_cast<std::uint8_t>(header.fixed(1));
    if (unit.version >= 4) header.skip(1);  // maximum operations per instruction: 1 on the machines served
    header.skip(1);                         // default is_stmt: every row is used alike
    unit.line_base = static_cast<std::int8_t>(header.fixed(1));
    unit.line_range = static_cast<std::uint8_t>(header.fixed(1));
    unit.opcode_base = static_cast<std::uint8_t>(header.fixed(1));
    if (!reader.ok() || unit.line_range == 0 || unit.opcode_base == 0 || unit.address_bytes == 0 || unit.address_bytes > 8)
        return false;
    unit.argument_counts = header.bytes(unit.opcode_base - 1u);
    // The tables are kept as byte ranges from their first entry: a lookup walks to the one it needs.
    if (unit.version >= 5) {
        unit.directory_count = read_formats(header, unit.directory_formats, unit.directory_format_count);
        unit.directories = header.remaining();
        const std::span<const entry_format> formats(unit.directory_formats.data(), unit.directory_format_count);
        for (std::uint64_t i = 0; i < unit.directory_count && header.ok(); ++i) read_entry(header, formats, unit, strings);
        unit.file_count = read_formats(header, unit.file_formats, unit.file_format_count);
        unit.files = header.remaining();
    } else {
        unit.directories = header.remaining();
        while (header.ok() && !header.text().empty()) {}
        unit.files = header.remaining();
    }
    return header.ok();
}

std::string joined(std::string_view directory, std::string_view name) {
    if (name.empty() || name.front() == '/' || directory.empty()) return std::string(name);
    std::string path(directory);
    if (path.back() != '/') path += '/';
    return path.append(name);
}

// The path of file `index` of the unit's table (0-based in DWARF 5, 1-based before, as set_file
// numbers them); empty when the table has no such file.
std::string file_path(const line_unit& unit, std::uint64_t index, const string_sections& strings) {
    if (unit.version >= 5) {
        if (index >= unit.file_count) return {};
        const std::span<const entry_format> file_formats(unit.file_formats.data(), unit.file_format_count);
        byte_reader files(unit.files);
        table_entry file;
        for (std::uint64_t i = 0; i <= index && files.ok(); ++i) file = read_entry(files, file_formats, unit, strings);
        if (!files.ok() || file.directory >= unit.directory_count) return files.ok() ? std::string(file.path) : std::string();
        const std::span<const entry_format> directory_formats(unit.directory_formats.data(), unit.directory_format_count);
        byte_reader directories(unit.directories);
        table_entry compile_directory = read_entry(directories, directory_formats, unit, strings);  // directory 0
        table_entry directory = compile_directory;
        for (std::uint64_t i = 1; i <= file.directory && directories.ok(); ++i)
            directory = read_entry(directories, directory_formats, unit, strings);
        if (!directories.ok()) return std::string(file.path);
        // Directory 0 is the compilation's; the others may be relative to it.
        const std::string directory_path =
            file.directory == 0 ? std::string(directory.path) : joined(compile_directory.path, directory.path);
        return joined(directory_path, file.path);
    }
    if (index == 0) return {};
    byte_reader files(unit.files);
    std::string_view name;
    std::uint64_t directory_index = 0;
    for (std::uint64_t i = 1; i <= index; ++i) {
        name = files.text();
        if (name.empty()) return {};  // the table ended first
        directory_index = files.uleb();
        files.uleb();  // modification time
        files.uleb();  // length
    }
    if (!files.ok()) return {};
    std::string_view directory;  // directory 0 is the compilation's, which only .debug_info names
    byte_reader directories(unit.directories);
    for (std::uint64_t i = 1; i <= directory_index && directories.ok(); ++i) {
        directory = directories.text();
        if (directory.empty()) break;
    }
    return joined(directories.ok() ? directory : std::string_view{}, name);
}

// A linker's tombstone for a discarded function's code: such sequences start at 0 (GNU ld) or
// in the top page (lld's -1 and -2).
bool tombstone(std::uint64_t sequence_start) noexcept {
    return sequence_start == 0 || sequence_start >= ~std::uint64_t{0} - 0xfff;
}

// One row the state machine emits.
struct line_row {
    std::uint64_t address = 0;
    std::uint64_t file = 1;
    std::uint64_t line = 1;  // wraps as a malformed table may make it; read as signed at the end
};

// Runs the program in `program` (positioned where a sequence starts) and calls
// on_row(row, ends_sequence, position after the row's opcode) for each row it emits, until on_row
// returns true or the program ends. The state resets after each sequence's end, as DWARF says.
template <class OnRow>
void run_program(const line_unit& unit, byte_reader& program, OnRow on_row) noexcept {
    line_row state;
    const std::uint64_t special_step = (255u - unit.opcode_base) / unit.line_range * unit.min_instruction_bytes;
    while (program.ok() && !program.at_end()) {
        const auto opcode = static_cast<std::uint8_t>(program.fixed(1));
        if (opcode >= unit.opcode_base) {  // a special opcode: advance both, then emit a row
            const unsigned adjusted = opcode - unit.opcode_base;
            state.address += adjusted / unit.line_range * unit.min_instruction_bytes;
            state.line += static_cast<std::uint64_t>(unit.line_base + static_cast<std::int64_t>(adjusted % unit.line_range));
            if (on_row(state, false, program.position())) return;
            continue;
        }
        switch (opcode) {
            case 0: {  // extended: a length, then the opcode and its operands
                byte_reader extended = program.part(program.uleb());
                const auto kind = static_cast<std::uint8_t>(extended.fixed(1));
                if (kind == end_sequence) {
                    if (on_row(state, true, program.position())) return;
                    state = line_row{};
                } else if (kind == set_address) {
                    state.address = extended.fixed(unit.address_bytes);
                }
                break;
            }
            case copy:
                if (on_row(state, false, program.position())) return;
                break;
            case advance_pc: state.address += program.uleb() * unit.min_instruction_bytes; break;
            case advance_line: state.line += static_cast<std::uint64_t>(program.sleb()); break;
            case set_file: state.file = program.uleb(); break;
            case const_add_pc: state.address += special_step; break;
            case fixed_advance_pc: state.address += program.fixed(2); break;
            default:  // set_column, negate_stmt, set_isa and the rest: operands as the header counts them
                for (unsigned i = 0; i < unit.argument_counts[opcode - 1u]; ++i) program.uleb();
                break;
        }
    }
}

// Calls on_unit(unit, offset of the unit in .debug_line) for each unit whose header reads, until
// it returns true.
template <class OnUnit>
void for_each_unit(std::span<const unsigned char> table, const string_sections& strings, OnUnit on_unit) {
    byte_reader units(table);
    while (units.ok() && !units.at_end()) {
        const std::size_t unit_offset = units.position();
        std::uint64_t length = units.fixed(4);
        const bool dwarf64 = length == 0xffffffffu;
        if (dwarf64) length = units.fixed(8);
        byte_reader unit_reader = units.part(length);
        line_unit unit;
        if (units.ok() && read_header(unit_reader, dwarf64, unit, strings) && on_unit(unit, unit_offset)) return;
    }
}

string_sections strings_of(const elf_image& image) noexcept {
    return {image.section(".debug_line_str"), image.section(".debug_str")};
}

}  // namespace

std::vector<line_sequence> line_sequences(const elf_image& image) {
    std::vector<line_sequence> sequences;
    for_each_unit(image.section(".debug_line"), strings_of(image), [&](const line_unit& unit, std::size_t unit_offset) {
        byte_reader program(unit.program);
        line_sequence sequence{0, 0, unit_offset, 0};
        bool first_row = true;
        run_program(unit, program, [&](const line_row& row, bool ends, std::size_t after) {
            if (first_row) sequence.low = row.address;
            first_row = false;
            if (ends) {
                sequence.high = row.address;
                if (!tombstone(sequence.low) && sequence.low < sequence.high) sequences.push_back(sequence);
                sequence.program_offset = after;
                first_row = true;
            }
            return false;
        });
        return false;
    });
    std::stable_sort(sequences.begin(), sequences.end(),
                     [](const line_sequence& a, const line_sequence& b) { return a.low < b.low; });
    std::uint64_t highest_end = 0;
    for (line_sequence& sequence : sequences) sequence.highest_end = highest_end = std::max(highest_end, sequence.high);
    return sequences;
}

std::optional<source_line> line_at(const elf_image& image, std::span<const line_sequence> sequences, std::uint64_t address) {
    // Of the sequences starting at or before the address, walking back while one before may still
    // run past it (highest_end), the first in table order that covers it.
    auto at = std::upper_bound(sequences.begin(), sequences.end(), address,
                               [](std::uint64_t value, const line_sequence& sequence) { return value < sequence.low; });
    const line_sequence* covering = nullptr;
    while (at != sequences.begin() && std::prev(at)->highest_end > address) {
        --at;
        const bool first_in_table = covering == nullptr || at->unit_offset < covering->unit_offset ||
                                    (at->unit_offset == covering->unit_offset && at->program_offset < covering->program_offset);
        if (address < at->high && first_in_table) covering = &*at;
    }
    if (covering == nullptr) return std::nullopt;
    const line_sequence& sequence = *covering;
    const std::span<const unsigned char> table = image.section(".debug_line");
    if (sequence.unit_offset >= table.size()) return std::nullopt;
    const string_sections strings = strings_of(image);
    std::optional<source_line> found;
    for_each_unit(table.subspan(sequence.unit_offset), strings, [&](const line_unit& unit, std::size_t) {
        if (sequence.program_offset > unit.program.size()) return true;
        byte_reader program(unit.program.subspan(sequence.program_offset));
        line_row previous;
        bool have_previous = false;
        run_program(unit, program, [&](const line_row& row, bool ends, std::size_t) {
            // Each row ends the previous one's range [previous.address, row.address).
            if (have_previous && previous.address <= address && address < row.address) {
                source_line place{file_path(unit, previous.file, strings), 0};
                place.line =
                    previous.line <= INT32_MAX ? static_cast<std::uint32_t>(previous.line) : 0;  // 0 also for a line below 1
                if (!place.file.empty()) found = std::move(place);
                return true;
            }
            previous = row;
            have_previous = true;
            return ends;
        });
        return true;  // the sequence's unit is the first one read
    });
    return found;
}

}  // namespace heapkit::os
