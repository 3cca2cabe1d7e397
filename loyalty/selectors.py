"""Loyalty points and referrals."""
