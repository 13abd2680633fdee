"""Working hours of professionals: weekly rules, exceptions and the calendar feed."""
