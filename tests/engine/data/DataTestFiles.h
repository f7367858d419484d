// Small writers for the data-layer tests: text files, gzip files and IDX files built byte by byte,
// so every loader is tested against files whose exact content the test controls.
#pragma once

#include "engine/Error.h"

#include <QByteArray>
#include <QFile>
#include <QString>

#include <cstdint>
#include <string>
#include <vector>

#include <zlib.h>

namespace datatest {

// The message of the StrataError `f` throws, or "<no error>".
QString errorOf(auto&& f) {
    try {
        f();
    } catch (const strata::StrataError& e) {
        return QString::fromStdString(e.what());
    }
    return QStringLiteral("<no error>");
}

inline void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    f.write(bytes);
}

inline void writeGzip(const QString& path, const QByteArray& bytes) {
    gzFile f = gzopen(path.toLocal8Bit().constData(), "wb");
    if (!f) qFatal("cannot write %s", qPrintable(path));
    gzwrite(f, bytes.constData(), unsigned(bytes.size()));
    gzclose(f);
}

inline void appendBigEndian32(QByteArray& out, uint32_t v) {
    out.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
}

// An IDX file of unsigned bytes: magic 0x0000080R, R dimensions, then the data as given.
inline QByteArray idxBytes(const std::vector<uint32_t>& dims, const QByteArray& data,
                           uint8_t type = 0x08) {
    QByteArray out;
    out.append(char(0)).append(char(0)).append(char(type)).append(char(dims.size()));
    for (uint32_t d : dims)
        appendBigEndian32(out, d);
    return out + data;
}

inline QByteArray sequenceBytes(int n, int start = 0) {
    QByteArray out;
    for (int i = 0; i < n; ++i)
        out.append(char((start + i) & 0xFF));
    return out;
}

inline std::string path(const QString& p) {
    return p.toStdString();
}

} // namespace datatest
