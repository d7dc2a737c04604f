// What the compare window's views show, as image operations (widget-free, torch-free): the A/B
// split of two images, the difference heatmaps of every slot against the first, and which kept
// step frame stands for a step after the frames were thinned.
#pragma once

#include <QImage>
#include <QList>

namespace inpaint::imaging {

// `a` left of column `splitX`, `b` right of it (RGB888), with a thin light line at the split
// when it is inside the image. Null when either image is null or their sizes differ.
QImage splitComposite(const QImage& a, const QImage& b, int splitX);

// Each image after the first replaced by its change heatmap against the first (see heatmap.h);
// images whose heatmap is null (size differs) and the first stay as they are.
QList<QImage> differenceToFirst(const QList<QImage>& images);

// The index among `kept` frames (of a slot that ran `stepsRun` steps) that shows `step`
// (clamped to 1..stepsRun): the frames are spread evenly over the steps after thinning.
// -1 when nothing is kept or nothing ran.
int keptFrameIndex(int step, int stepsRun, int kept);

}  // namespace inpaint::imaging
