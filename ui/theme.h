// The editor's look: Fusion with a dark palette, so photographs and the coloured mask
// overlays stand out and the icons (light strokes) read well.
#pragma once

class QApplication;

namespace inpaint::ui {

void applyDarkTheme(QApplication& app);

}  // namespace inpaint::ui
