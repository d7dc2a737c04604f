// MappedFile (see mapped_file.h).
#include "models/io/mapped_file.h"

#include "models/errors.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace inpaint::models {

std::shared_ptr<MappedFile> MappedFile::map(const std::filesystem::path& path, const std::string& what)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw FormatError("Cannot open " + what + ": " + std::strerror(errno) + ".");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        throw FormatError("Cannot stat " + what + ": " + std::strerror(e) + ".");
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw FormatError(what + " is not a regular file.");
    }
    std::shared_ptr<MappedFile> m(new MappedFile);
    const auto size = static_cast<size_t>(st.st_size);
    if (size > 0) {
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int e = errno;
            ::close(fd);
            throw FormatError("Cannot map " + what + ": " + std::strerror(e) + ".");
        }
        m->m_addr = p;
        m->m_size = size;
        m->m_mapped = true;
    }
    ::close(fd);  // the mapping stays valid after close
    return m;
}

std::shared_ptr<MappedFile> MappedFile::fromBytes(std::string bytes)
{
    std::shared_ptr<MappedFile> m(new MappedFile);
    m->m_owned = std::move(bytes);
    m->m_size = m->m_owned.size();
    m->m_addr = m->m_owned.data();
    return m;
}

MappedFile::~MappedFile()
{
    if (m_mapped && m_addr && m_size) ::munmap(m_addr, m_size);
}

}  // namespace inpaint::models
