// Tool: something the person does with the pointer on the canvas, written without any
// widget (as Drawpile's tools are): the canvas maps events to image coordinates and calls
// begin / motion / end. Tools edit the Document; the canvas only displays it.
#pragma once

#include <QPointF>
#include <QString>

namespace inpaint::tools {

struct PointerInput {
    QPointF pos;                // image coordinates (pixel centres at +0.5)
    qreal pressure = 1.0;       // 0..1, meaningful only when hasPressure
    bool hasPressure = false;   // true for tablet events
};

class Tool {
public:
    virtual ~Tool() = default;
    virtual QString name() const = 0;
    // begin returns false when the tool cannot start here (e.g. no active layer).
    virtual bool begin(const PointerInput& in) = 0;
    virtual void motion(const PointerInput& in) = 0;
    virtual void end(const PointerInput& in) = 0;
    virtual void cancel() = 0;  // undo what the current stroke did, push nothing
    virtual bool isActive() const = 0;
};

}  // namespace inpaint::tools
