"""What the segmentation app adds to the shared navigation and home page."""
