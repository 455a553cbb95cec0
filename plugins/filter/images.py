# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over container image references (see plugins/module_utils/images.py for the rule)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible_collections.llmops.kserve.plugins.module_utils.images import image_mirror, image_parts, unpinned_images


def images_mirror(images, registry=None):
    """Every value of a dict of image references (or every item of a list) with the mirror applied."""
    if isinstance(images, dict):
        return dict((key, image_mirror(value, registry)) for key, value in images.items())
    return [image_mirror(value, registry) for value in images]


class FilterModule:
    """llmops.kserve image reference filters."""

    def filters(self):
        return {
            "image_mirror": image_mirror,
            "images_mirror": images_mirror,
            "image_parts": image_parts,
            "unpinned_images": unpinned_images,
        }
