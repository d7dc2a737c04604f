// Projects as OpenRaster files (.ora, https://www.openraster.org/ spec 0.0.6): a zip whose first
// entry is `mimetype` (stored, "image/openraster"), then `stack.xml`, one PNG per layer under
// data/, `mergedimage.png` (the stack composited) and `Thumbnails/thumbnail.png` (≤ 256 px).
//
// What this editor writes, top of the stack first:
//   a hidden stack "Results" with one layer per kept result (the pixels of its region, at its
//     offset; the recipe in the PNG's `parameters` text chunk as A1111 writes it),
//   one layer per mask layer: an RGBA PNG in the layer's colour whose alpha is the mask value
//     (so other programs show the masks as coloured overlays and the value survives exactly),
//     with the layer's visibility and the overlay opacity,
//   the base image, in its own format (8/16-bit, grey/RGB/RGBA).
// Attributes in the namespace kOraNamespace (prefix "inpaint:") say which layer is what; other
// programs ignore them, as the spec asks of readers. A file without them (made elsewhere) opens
// with its merged image as the picture and one empty mask layer.
#pragma once

#include "core/document/mask_layer.h"

#include <QByteArray>
#include <QImage>
#include <QRect>
#include <QString>
#include <QVector>
#include <optional>

namespace inpaint::document {

class Document;

inline constexpr const char* kOraNamespace = "https://inpaint-studio.invalid/ns/ora/1";

// A kept result: the pixels of the region it may change, and how it was made.
struct ProjectResult {
    QImage pixels;        // region.size(), a document format
    QRect region;         // inside the image
    QString recipe;       // A1111 `parameters` text (may be empty)
    QString modelPath;    // the model it ran with (for a rerun); may be empty
    bool current = true;  // made from the base pixels the project holds (false: they changed since)
    bool operator==(const ProjectResult&) const = default;
};

struct Project {
    QImage image;                    // a document format
    QString sourcePath;              // where the picture first came from (may be empty)
    QVector<MaskLayer> layers;       // the document's order (index 0 at the bottom); ids are not kept
    int activeLayer = -1;
    qreal overlayOpacity = 0.5;
    QVector<ProjectResult> results;  // newest first
};

// The document's picture and layers (no results).
Project projectFromDocument(const Document& doc);

// The .ora bytes of `project`; empty with *error set when it cannot be made (out of memory, an
// image the PNG writer refuses). Safe to call on any thread (it touches only the values given).
QByteArray encodeOra(const Project& project, QString* error);
// encodeOra written to `path` through a temp file in the same folder and a rename: an existing
// file is replaced only when the whole new one is on disk.
bool writeOra(const QString& path, const Project& project, QString* error);

// Reads a project; nullopt with *error set (one sentence naming the file and what is wrong: not a
// zip or truncated, no mimetype, stack.xml missing or not XML, a layer of another size, an unknown
// layer type, a missing or undecodable layer PNG, too large). `what` names the file in messages.
std::optional<Project> decodeOra(const QByteArray& bytes, const QString& what, QString* error);
std::optional<Project> readOra(const QString& path, QString* error);

// True when the path ends in .ora (any case).
bool isOraPath(const QString& path);

}  // namespace inpaint::document
